package io.streamtrain.registry;

import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * Configuration keys of the registry client and serdes. The names are Confluent's, so a properties
 * file written for Confluent's serializers configures these too.
 */
public final class SchemaRegistryConfig {
  /** Comma-separated {@code http(s)://host:port} URLs, or {@code mock://scope}. */
  public static final String URL = "schema.registry.url";

  /** Whether serializers register their schema (default true) or only look it up. */
  public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";

  /**
   * Whether serializers strip the Java-only {@code avro.java.string} properties before registering,
   * so Java and non-Java producers of one .avsc share an id. Default true (Confluent's default is
   * false; this project favours agreeing ids across languages).
   */
  public static final String REMOVE_JAVA_PROPERTIES = "avro.remove.java.properties";

  /** Generated class (Class or class name) deserializers read keys / values as. */
  public static final String SPECIFIC_KEY_TYPE = "specific.avro.key.type";

  public static final String SPECIFIC_VALUE_TYPE = "specific.avro.value.type";

  /** USER_INFO (default when user info is set) or URL (credentials in the URL's user info). */
  public static final String BASIC_AUTH_CREDENTIALS_SOURCE = "basic.auth.credentials.source";

  /** {@code user:password} for HTTP basic auth; never printed. */
  public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";

  /** A static bearer token (sent as {@code Authorization: Bearer ...}); never printed. */
  public static final String BEARER_AUTH_TOKEN = "bearer.auth.token";

  public static final String HTTP_CONNECT_TIMEOUT_MS = "http.connect.timeout.ms";
  public static final String HTTP_READ_TIMEOUT_MS = "http.read.timeout.ms";
  public static final long DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
  public static final long DEFAULT_READ_TIMEOUT_MS = 30_000;

  public static final String SSL_TRUSTSTORE_LOCATION = "schema.registry.ssl.truststore.location";
  public static final String SSL_TRUSTSTORE_PASSWORD = "schema.registry.ssl.truststore.password";
  public static final String SSL_TRUSTSTORE_TYPE = "schema.registry.ssl.truststore.type";
  public static final String SSL_KEYSTORE_LOCATION = "schema.registry.ssl.keystore.location";
  public static final String SSL_KEYSTORE_PASSWORD = "schema.registry.ssl.keystore.password";
  public static final String SSL_KEYSTORE_TYPE = "schema.registry.ssl.keystore.type";
  public static final String SSL_KEY_PASSWORD = "schema.registry.ssl.key.password";

  /** Prefix Confluent also accepts in front of the client keys (e.g. for Streams configs). */
  static final String CLIENT_PREFIX = "schema.registry.";

  private SchemaRegistryConfig() {}

  /** The value of {@code key} (or {@code schema.registry.<key>}) as a string, null when unset. */
  static String string(Map<String, ?> config, String key) {
    Object value = config.get(key);
    if (value == null && !key.startsWith(CLIENT_PREFIX)) {
      value = config.get(CLIENT_PREFIX + key);
    }
    if (value == null) {
      return null;
    }
    if (value instanceof Password password) {
      return password.value();
    }
    if (value instanceof Class<?> type) {
      return type.getName();
    }
    String text = value.toString().trim();
    return text.isEmpty() ? null : text;
  }

  static boolean bool(Map<String, ?> config, String key, boolean defaultValue) {
    String value = string(config, key);
    if (value == null) {
      return defaultValue;
    }
    if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")) {
      return Boolean.parseBoolean(value);
    }
    throw new ConfigException(key + " must be true or false, not '" + value + "'");
  }

  static long millis(Map<String, ?> config, String key, long defaultValue) {
    String value = string(config, key);
    if (value == null) {
      return defaultValue;
    }
    try {
      long millis = Long.parseLong(value);
      if (millis <= 0) {
        throw new NumberFormatException();
      }
      return millis;
    } catch (NumberFormatException e) {
      throw new ConfigException(
          key + " must be a positive number of milliseconds, not '" + value + "'");
    }
  }
}
