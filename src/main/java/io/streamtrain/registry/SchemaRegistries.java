package io.streamtrain.registry;

import java.util.Map;
import org.apache.kafka.common.config.ConfigException;

/** Picks the registry client for a URL: {@code mock://scope} in-process, else REST. */
public final class SchemaRegistries {
  private SchemaRegistries() {}

  /**
   * A client for {@code url}: the shared {@link MockSchemaRegistry} of the scope for {@code
   * mock://scope}, a {@link RestSchemaRegistryClient} for comma-separated {@code http(s)://} URLs
   * (configured from {@code config}: auth, TLS, timeouts; see {@link SchemaRegistryConfig}).
   *
   * @throws ConfigException when the URL is missing or of another kind
   */
  public static SchemaRegistryClient forUrl(String url, Map<String, ?> config) {
    if (url == null || url.isBlank()) {
      throw new ConfigException(
          "No schema registry URL: set "
              + SchemaRegistryConfig.URL
              + " (e.g. http://localhost:8081 or mock://test)");
    }
    String trimmed = url.trim();
    if (trimmed.startsWith(MockSchemaRegistry.URL_PREFIX)) {
      if (trimmed.contains(",")) {
        throw new ConfigException(
            "Schema registry URL '"
                + trimmed
                + "' mixes mock:// with other URLs: give one mock://scope");
      }
      return MockSchemaRegistry.forScope(trimmed.substring(MockSchemaRegistry.URL_PREFIX.length()));
    }
    return new RestSchemaRegistryClient(trimmed, config == null ? Map.of() : config);
  }

  /** A client for the URL under {@code schema.registry.url} in {@code config}. */
  public static SchemaRegistryClient fromConfig(Map<String, ?> config) {
    return forUrl(SchemaRegistryConfig.string(config, SchemaRegistryConfig.URL), config);
  }
}
