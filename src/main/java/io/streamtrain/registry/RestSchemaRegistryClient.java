package io.streamtrain.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.kafka.common.config.ConfigException;

/**
 * A client of the Confluent Schema Registry REST API (v1), as spoken by Confluent's registry,
 * Karapace, Apicurio's ccompat API, Redpanda and streamtrain's own {@link RegistryServer}. Uses the
 * JDK's HTTP client (HTTP/1.1), optional basic or bearer auth and TLS, and tries the next URL of a
 * comma-separated list when one cannot be reached. Caches ids and schemas both ways, so a serde
 * makes one request per schema, not per record.
 */
public final class RestSchemaRegistryClient implements SchemaRegistryClient {
  public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  static final String ACCEPT =
      "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; qs=0.9, "
          + "application/json; qs=0.5";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_REFERENCE_DEPTH = 32;
  private static final int MAX_MESSAGE_CHARS = 300;
  // Confluent's 409 message ends its details with {compatibility: 'LEVEL'} (7.4 and later).
  private static final Pattern LEVEL_IN_MESSAGE = Pattern.compile("\\{compatibility: '(\\w+)'}");
  private static final Pattern REASON_IN_MESSAGE =
      Pattern.compile("description:'(.*?)'(?:, additionalInfo:'|})");

  private final List<URI> baseUrls;
  private final String displayUrl;
  private final HttpClient http;
  private final Duration readTimeout;
  private final Optional<String> authorization;
  private final AtomicInteger preferredUrl = new AtomicInteger();
  private final ConcurrentMap<Integer, Schema> schemasById = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, ConcurrentMap<Schema, RegisteredSchema>> bySubject =
      new ConcurrentHashMap<>();

  /**
   * A client for comma-separated {@code urls}, configured from {@code config} (keys in {@link
   * SchemaRegistryConfig}: basic/bearer auth, TLS trust- and keystore, timeouts).
   *
   * @throws ConfigException when a URL or setting is invalid
   */
  public RestSchemaRegistryClient(String urls, Map<String, ?> config) {
    List<URI> parsed = new ArrayList<>();
    String userInfoFromUrl = null;
    for (String part : urls.split(",")) {
      if (part.isBlank()) {
        continue;
      }
      URI uri = parseUrl(part.trim());
      if (uri.getRawUserInfo() != null) {
        userInfoFromUrl = URLDecoder.decode(uri.getRawUserInfo(), StandardCharsets.UTF_8);
      }
      parsed.add(withoutUserInfo(uri));
    }
    if (parsed.isEmpty()) {
      throw new ConfigException("No schema registry URL in '" + urls + "'");
    }
    this.baseUrls = List.copyOf(parsed);
    this.displayUrl = baseUrls.stream().map(URI::toString).collect(Collectors.joining(", "));
    this.authorization = authorization(config, userInfoFromUrl);
    this.readTimeout =
        Duration.ofMillis(
            SchemaRegistryConfig.millis(
                config,
                SchemaRegistryConfig.HTTP_READ_TIMEOUT_MS,
                SchemaRegistryConfig.DEFAULT_READ_TIMEOUT_MS));
    HttpClient.Builder builder =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(
                Duration.ofMillis(
                    SchemaRegistryConfig.millis(
                        config,
                        SchemaRegistryConfig.HTTP_CONNECT_TIMEOUT_MS,
                        SchemaRegistryConfig.DEFAULT_CONNECT_TIMEOUT_MS)));
    sslContext(config).ifPresent(builder::sslContext);
    this.http = builder.build();
  }

  @Override
  public String url() {
    return displayUrl;
  }

  @Override
  public int register(String subject, Schema schema) {
    RegisteredSchema cached = cachedRegistration(subject, schema);
    if (cached != null) {
      return cached.id();
    }
    ObjectNode body = JSON.createObjectNode().put("schema", schema.toString());
    Answer answer = send("POST", "/subjects/" + encode(subject) + "/versions", body);
    if (answer.status == 409) {
      throw incompatible(subject, schema, answer);
    }
    if (!answer.ok()) {
      throw answer.error("refused subject " + subject);
    }
    int id = requireInt(answer, "id");
    schemasById.putIfAbsent(id, schema);
    // Registration answers carry only the id; the version is learnt on lookup when needed.
    bySubject
        .computeIfAbsent(subject, s -> new ConcurrentHashMap<>())
        .putIfAbsent(schema, new RegisteredSchema(subject, 0, id, schema));
    return id;
  }

  @Override
  public RegisteredSchema lookup(String subject, Schema schema) {
    RegisteredSchema cached = cachedRegistration(subject, schema);
    if (cached != null && cached.version() > 0) {
      return cached;
    }
    ObjectNode body = JSON.createObjectNode().put("schema", schema.toString());
    Answer answer = send("POST", "/subjects/" + encode(subject), body);
    if (!answer.ok()) {
      throw answer.error(
          answer.errorCode == SchemaRegistryException.SUBJECT_NOT_FOUND
              ? "has no subject " + subject
              : "has no schema " + AvroSchemas.describe(schema) + " under subject " + subject);
    }
    RegisteredSchema found =
        new RegisteredSchema(
            subject, requireInt(answer, "version"), requireInt(answer, "id"), schema);
    schemasById.putIfAbsent(found.id(), schema);
    bySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>()).put(schema, found);
    return found;
  }

  @Override
  public Schema getById(int id) {
    Schema cached = schemasById.get(id);
    if (cached != null) {
      return cached;
    }
    Answer answer = send("GET", "/schemas/ids/" + id, null);
    if (!answer.ok()) {
      throw answer.error("has no schema with id " + id);
    }
    Schema schema = parseAnswer(answer, "schema id " + id);
    Schema raced = schemasById.putIfAbsent(id, schema);
    return raced != null ? raced : schema;
  }

  @Override
  public RegisteredSchema getLatest(String subject) {
    return getVersion(subject, "latest");
  }

  @Override
  public RegisteredSchema getVersion(String subject, int version) {
    return getVersion(subject, Integer.toString(version));
  }

  private RegisteredSchema getVersion(String subject, String version) {
    Answer answer = send("GET", "/subjects/" + encode(subject) + "/versions/" + version, null);
    if (!answer.ok()) {
      throw answer.error("has no version " + version + " of subject " + subject);
    }
    int id = requireInt(answer, "id");
    Schema schema = schemasById.get(id);
    if (schema == null) {
      schema = parseAnswer(answer, "schema id " + id);
      Schema raced = schemasById.putIfAbsent(id, schema);
      schema = raced != null ? raced : schema;
    }
    return new RegisteredSchema(subject, requireInt(answer, "version"), id, schema);
  }

  @Override
  public List<String> subjects() {
    Answer answer = send("GET", "/subjects", null);
    if (!answer.ok()) {
      throw answer.error("did not list subjects");
    }
    List<String> subjects = new ArrayList<>();
    requireArray(answer).forEach(node -> subjects.add(node.asText()));
    subjects.sort(null);
    return subjects;
  }

  @Override
  public List<Integer> versions(String subject) {
    Answer answer = send("GET", "/subjects/" + encode(subject) + "/versions", null);
    if (!answer.ok()) {
      throw answer.error("has no subject " + subject);
    }
    List<Integer> versions = new ArrayList<>();
    requireArray(answer).forEach(node -> versions.add(node.asInt()));
    versions.sort(null);
    return versions;
  }

  /**
   * The compatibility level that applies to {@code subject}: its own level, else the global one;
   * the global level when {@code subject} is null.
   */
  public CompatibilityLevel compatibility(String subject) {
    if (subject != null) {
      Answer answer = send("GET", "/config/" + encode(subject) + "?defaultToGlobal=true", null);
      if (answer.ok()) {
        return requireLevel(answer, "compatibilityLevel");
      }
      // Registries that ignore defaultToGlobal answer 404 for a subject without its own level.
      if (answer.status != 404) {
        throw answer.error("did not tell the compatibility level of subject " + subject);
      }
    }
    Answer answer = send("GET", "/config", null);
    if (!answer.ok()) {
      throw answer.error("did not tell its global compatibility level");
    }
    return requireLevel(answer, "compatibilityLevel");
  }

  /**
   * Sets the compatibility level of {@code subject}, or the global level when {@code subject} is
   * null, and returns the level the registry confirmed.
   */
  public CompatibilityLevel setCompatibility(String subject, CompatibilityLevel level) {
    String path = subject == null ? "/config" : "/config/" + encode(subject);
    Answer answer = send("PUT", path, JSON.createObjectNode().put("compatibility", level.name()));
    if (!answer.ok()) {
      throw answer.error(
          "refused compatibility "
              + level
              + (subject == null ? " as the global level" : " for subject " + subject));
    }
    return requireLevel(answer, "compatibility");
  }

  /**
   * Removes the level set for {@code subject}, which then follows the global level again.
   *
   * @return the removed level, empty when the subject had none of its own
   */
  public Optional<CompatibilityLevel> deleteCompatibility(String subject) {
    Answer answer = send("DELETE", "/config/" + encode(subject), null);
    if (answer.errorCode == SchemaRegistryException.SUBJECT_NOT_FOUND) {
      return Optional.empty(); // Confluent's answer for a subject without a level of its own.
    }
    if (!answer.ok()) {
      throw answer.error("did not remove the compatibility level of subject " + subject);
    }
    return Optional.of(requireLevel(answer, "compatibilityLevel"));
  }

  /**
   * Whether {@code schema} may become the next version of {@code subject} under the subject's
   * compatibility level, with the registry's reasons when not. A subject without versions accepts
   * any schema.
   */
  public CompatibilityCheck testCompatibility(String subject, Schema schema) {
    ObjectNode body = JSON.createObjectNode().put("schema", schema.toString());
    Answer answer =
        send(
            "POST",
            "/compatibility/subjects/" + encode(subject) + "/versions/latest?verbose=true",
            body);
    if (!answer.ok()) {
      if (answer.errorCode == SchemaRegistryException.SUBJECT_NOT_FOUND) {
        return new CompatibilityCheck(true, List.of());
      }
      throw answer.error(
          "could not check " + AvroSchemas.describe(schema) + " against subject " + subject);
    }
    JsonNode verdict = answer.json.get("is_compatible");
    if (verdict == null || !verdict.isBoolean()) {
      throw malformed(answer, "without a boolean 'is_compatible'");
    }
    List<String> messages = new ArrayList<>();
    answer.json.path("messages").forEach(message -> messages.add(message.asText()));
    return new CompatibilityCheck(verdict.booleanValue(), messages);
  }

  /** The one-line error for Confluent's 409: which subject, which level, the first reason. */
  private SchemaRegistryException incompatible(String subject, Schema schema, Answer answer) {
    String message = answer.json.path("message").asText("");
    Matcher levelInMessage = LEVEL_IN_MESSAGE.matcher(message);
    String level = null;
    if (levelInMessage.find()) {
      level = levelInMessage.group(1);
    } else {
      try {
        level = compatibility(subject).name();
      } catch (SchemaRegistryException e) {
        level = null; // Only decorates the message; the refusal is what the caller must see.
      }
    }
    Matcher reason = REASON_IN_MESSAGE.matcher(message);
    return new SchemaRegistryException(
        "Schema Registry at "
            + answer.url
            + " refused "
            + AvroSchemas.describe(schema)
            + ": it is incompatible with an earlier schema for subject "
            + subject
            + (level == null ? "" : " (compatibility " + level + ")")
            + (reason.find() ? ": " + oneLine(reason.group(1)) : "")
            + ". Make the change compatible (e.g. give new fields a default) or change the"
            + " subject's level (PUT /config/"
            + subject
            + ")",
        answer.status,
        answer.errorCode);
  }

  private CompatibilityLevel requireLevel(Answer answer, String field) {
    String name = answer.json.path(field).asText(null);
    return CompatibilityLevel.forName(name)
        .orElseThrow(
            () -> malformed(answer, "without a known compatibility level in '" + field + "'"));
  }

  /** An answer a Confluent-compatible registry would not give: {@code what} says how. */
  private static SchemaRegistryException malformed(Answer answer, String what) {
    return new SchemaRegistryException(
        "Schema Registry at "
            + answer.url
            + " answered "
            + answer.method
            + " "
            + answer.path
            + " "
            + what
            + " (is it a Confluent-compatible registry?)",
        answer.status,
        SchemaRegistryException.NO_ERROR_CODE);
  }

  private RegisteredSchema cachedRegistration(String subject, Schema schema) {
    Map<Schema, RegisteredSchema> registrations = bySubject.get(subject);
    return registrations == null ? null : registrations.get(schema);
  }

  /** Parses the schema of an answer, first fetching and parsing the schemas it references. */
  private Schema parseAnswer(Answer answer, String what) {
    Schema.Parser parser = new Schema.Parser();
    return parseWithReferences(answer.json, parser, what, 0);
  }

  private Schema parseWithReferences(JsonNode node, Schema.Parser parser, String what, int depth) {
    String type = node.path("schemaType").asText("AVRO");
    if (!type.equals("AVRO")) {
      throw new SchemaRegistryException(
          "Schema Registry at "
              + displayUrl
              + " holds a "
              + type
              + " schema as "
              + what
              + "; streamtrain reads Avro only",
          200,
          SchemaRegistryException.NO_ERROR_CODE);
    }
    if (depth > MAX_REFERENCE_DEPTH) {
      throw new SchemaRegistryException(
          "Schema references of "
              + what
              + " nest deeper than "
              + MAX_REFERENCE_DEPTH
              + " levels (a reference cycle?)",
          200,
          SchemaRegistryException.NO_ERROR_CODE);
    }
    for (JsonNode reference : node.path("references")) {
      String subject = reference.path("subject").asText();
      String version = reference.path("version").asText("latest");
      Answer referenced =
          send("GET", "/subjects/" + encode(subject) + "/versions/" + version, null);
      if (!referenced.ok()) {
        throw referenced.error(
            "has no version " + version + " of subject " + subject + " referenced by " + what);
      }
      parseWithReferences(referenced.json, parser, "subject " + subject, depth + 1);
    }
    try {
      return parser.parse(node.path("schema").asText());
    } catch (AvroRuntimeException | NullPointerException e) {
      // Avro 1.12 throws an NPE for an unknown top-level type name.
      throw new SchemaRegistryException(
          "Schema Registry at "
              + displayUrl
              + " returned an unparseable Avro schema as "
              + what
              + ": "
              + oneLine(e.getMessage()),
          200,
          SchemaRegistryException.NO_ERROR_CODE,
          e);
    }
  }

  private int requireInt(Answer answer, String field) {
    JsonNode value = answer.json.get(field);
    if (value == null || !value.canConvertToInt()) {
      throw malformed(answer, "without an integer '" + field + "'");
    }
    return value.intValue();
  }

  private JsonNode requireArray(Answer answer) {
    if (!answer.json.isArray()) {
      throw malformed(answer, "with something other than a JSON array");
    }
    return answer.json;
  }

  /** Sends one request, trying each URL in turn while they cannot be reached. */
  private Answer send(String method, String path, JsonNode body) {
    int first = preferredUrl.get();
    IOException lastFailure = null;
    for (int attempt = 0; attempt < baseUrls.size(); attempt++) {
      int index = (first + attempt) % baseUrls.size();
      URI base = baseUrls.get(index);
      HttpRequest request = request(base, method, path, body);
      try {
        HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        preferredUrl.set(index);
        return new Answer(base.toString(), method, path, response.statusCode(), response.body());
      } catch (IOException e) {
        lastFailure = e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SchemaRegistryException(
            "Interrupted while calling Schema Registry at " + base,
            0,
            SchemaRegistryException.NO_ERROR_CODE,
            e);
      }
    }
    throw unreachable(lastFailure);
  }

  private SchemaRegistryException unreachable(IOException failure) {
    String message;
    if (failure instanceof HttpConnectTimeoutException || failure instanceof ConnectException) {
      message =
          "Cannot reach Schema Registry at "
              + displayUrl
              + " (is `streamtrain broker` or a registry running?)";
    } else if (failure instanceof HttpTimeoutException) {
      message =
          "Schema Registry at "
              + displayUrl
              + " did not answer within "
              + readTimeout.toMillis()
              + " ms ("
              + SchemaRegistryConfig.HTTP_READ_TIMEOUT_MS
              + ")";
    } else if (failure instanceof SSLException) {
      message =
          "TLS with Schema Registry at "
              + displayUrl
              + " failed: "
              + oneLine(failure.getMessage())
              + " (set "
              + SchemaRegistryConfig.SSL_TRUSTSTORE_LOCATION
              + " to a truststore that trusts its certificate)";
    } else {
      message =
          "Cannot reach Schema Registry at "
              + displayUrl
              + ": "
              + oneLine(String.valueOf(failure))
              + " (is `streamtrain broker` or a registry running?)";
    }
    return new SchemaRegistryException(message, 0, SchemaRegistryException.NO_ERROR_CODE, failure);
  }

  private HttpRequest request(URI base, String method, String path, JsonNode body) {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(URI.create(base.toString() + path))
            .timeout(readTimeout)
            .header("Accept", ACCEPT);
    authorization.ifPresent(value -> builder.header("Authorization", value));
    if (body == null) {
      builder.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      builder.header("Content-Type", CONTENT_TYPE);
      builder.method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
    }
    return builder.build();
  }

  /** One HTTP answer: status, parsed JSON body (or null), raw text for messages. */
  private static final class Answer {
    final String url;
    final String method;
    final String path;
    final int status;
    final JsonNode json;
    final String text;
    final int errorCode;

    Answer(String url, String method, String path, int status, byte[] body) {
      this.url = url;
      this.method = method;
      this.path = path;
      this.status = status;
      this.text = new String(body, StandardCharsets.UTF_8);
      JsonNode parsed;
      try {
        parsed = body.length == 0 ? null : JSON.readTree(body);
      } catch (IOException e) {
        parsed = null; // Proxies and crashed registries answer HTML or text; kept as text below.
      }
      this.json = parsed == null ? JSON.createObjectNode() : parsed;
      this.errorCode =
          json.path("error_code").canConvertToInt()
              ? json.path("error_code").intValue()
              : SchemaRegistryException.NO_ERROR_CODE;
    }

    boolean ok() {
      return status >= 200 && status < 300;
    }

    /** The one-line error for a failed answer: "Schema Registry at URL {action}: {detail}". */
    SchemaRegistryException error(String action) {
      String detail;
      if (errorCode != SchemaRegistryException.NO_ERROR_CODE) {
        detail = errorCode + " " + oneLine(json.path("message").asText(""));
      } else {
        detail = "HTTP " + status + (text.isBlank() ? "" : " " + oneLine(text));
      }
      String message;
      if (status == 401) {
        message =
            "Schema Registry at "
                + url
                + " rejected the credentials (HTTP 401) for "
                + method
                + " "
                + path
                + ": set "
                + SchemaRegistryConfig.BASIC_AUTH_USER_INFO
                + "=user:password";
      } else if (status == 403) {
        message =
            "Schema Registry at "
                + url
                + " denied "
                + method
                + " "
                + path
                + " (HTTP 403): "
                + detail;
      } else if (status >= 500 || status < 400) {
        message =
            "Schema Registry at "
                + url
                + " failed "
                + method
                + " "
                + path
                + " (HTTP "
                + status
                + "): "
                + detail;
      } else {
        message = "Schema Registry at " + url + " " + action + ": " + detail;
      }
      return new SchemaRegistryException(message.strip(), status, errorCode);
    }
  }

  private static String oneLine(String text) {
    String line = text == null ? "" : text.replaceAll("\\s+", " ").strip();
    return line.length() <= MAX_MESSAGE_CHARS ? line : line.substring(0, MAX_MESSAGE_CHARS) + "...";
  }

  private static String encode(String segment) {
    return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static URI parseUrl(String url) {
    try {
      URI uri = new URI(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
      String scheme = uri.getScheme();
      if (scheme == null
          || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
          || uri.getHost() == null) {
        throw new ConfigException(
            "Schema registry URL '"
                + redact(url)
                + "' is not http(s)://host:port (or mock://scope)");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new ConfigException(
          "Schema registry URL '" + redact(url) + "' is malformed: " + e.getReason());
    }
  }

  private static String redact(String url) {
    return url.replaceAll("//[^/@]*@", "//");
  }

  private static URI withoutUserInfo(URI uri) {
    try {
      return new URI(
          uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), null, null);
    } catch (URISyntaxException e) {
      throw new ConfigException(
          "Schema registry URL '" + redact(uri.toString()) + "' is malformed: " + e.getReason());
    }
  }

  private static Optional<String> authorization(Map<String, ?> config, String userInfoFromUrl) {
    String token = SchemaRegistryConfig.string(config, SchemaRegistryConfig.BEARER_AUTH_TOKEN);
    if (token != null) {
      return Optional.of("Bearer " + token);
    }
    String source =
        SchemaRegistryConfig.string(config, SchemaRegistryConfig.BASIC_AUTH_CREDENTIALS_SOURCE);
    String userInfo =
        SchemaRegistryConfig.string(config, SchemaRegistryConfig.BASIC_AUTH_USER_INFO);
    if ("URL".equalsIgnoreCase(source) || (userInfo == null && userInfoFromUrl != null)) {
      userInfo = userInfoFromUrl;
    } else if (source != null && !source.equalsIgnoreCase("USER_INFO")) {
      throw new ConfigException(
          SchemaRegistryConfig.BASIC_AUTH_CREDENTIALS_SOURCE
              + " '"
              + source
              + "' is not supported: use USER_INFO or URL");
    }
    if (userInfo == null) {
      return Optional.empty();
    }
    if (!userInfo.contains(":")) {
      throw new ConfigException(
          SchemaRegistryConfig.BASIC_AUTH_USER_INFO
              + " must be user:password (the value has no ':')");
    }
    return Optional.of(
        "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8)));
  }

  private static Optional<SSLContext> sslContext(Map<String, ?> config) {
    String trustStore =
        SchemaRegistryConfig.string(config, SchemaRegistryConfig.SSL_TRUSTSTORE_LOCATION);
    String keyStore =
        SchemaRegistryConfig.string(config, SchemaRegistryConfig.SSL_KEYSTORE_LOCATION);
    if (trustStore == null && keyStore == null) {
      return Optional.empty(); // The JDK's default SSLContext and its cacerts.
    }
    try {
      TrustManagerFactory trust = null;
      if (trustStore != null) {
        trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(
            loadKeyStore(
                trustStore,
                SchemaRegistryConfig.string(config, SchemaRegistryConfig.SSL_TRUSTSTORE_TYPE),
                SchemaRegistryConfig.string(config, SchemaRegistryConfig.SSL_TRUSTSTORE_PASSWORD),
                SchemaRegistryConfig.SSL_TRUSTSTORE_LOCATION));
      }
      KeyManagerFactory keys = null;
      if (keyStore != null) {
        String storePassword =
            SchemaRegistryConfig.string(config, SchemaRegistryConfig.SSL_KEYSTORE_PASSWORD);
        String keyPassword =
            SchemaRegistryConfig.string(config, SchemaRegistryConfig.SSL_KEY_PASSWORD);
        keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(
            loadKeyStore(
                keyStore,
                SchemaRegistryConfig.string(config, SchemaRegistryConfig.SSL_KEYSTORE_TYPE),
                storePassword,
                SchemaRegistryConfig.SSL_KEYSTORE_LOCATION),
            chars(keyPassword != null ? keyPassword : storePassword));
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(
          keys == null ? null : keys.getKeyManagers(),
          trust == null ? null : trust.getTrustManagers(),
          null);
      return Optional.of(context);
    } catch (GeneralSecurityException e) {
      throw new ConfigException(
          "Cannot set up TLS for the schema registry client: " + e.getMessage());
    }
  }

  private static KeyStore loadKeyStore(String location, String type, String password, String key)
      throws GeneralSecurityException {
    KeyStore store = KeyStore.getInstance(type != null ? type : KeyStore.getDefaultType());
    try (InputStream in = Files.newInputStream(Path.of(location))) {
      store.load(in, chars(password));
      return store;
    } catch (IOException e) {
      throw new ConfigException(
          "Cannot read "
              + key
              + " "
              + location
              + ": "
              + oneLine(String.valueOf(e.getMessage()))
              + " (check the path, type and password)");
    }
  }

  private static char[] chars(String password) {
    return password == null ? null : password.toCharArray();
  }
}
