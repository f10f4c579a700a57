package io.streamtrain.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded Confluent-compatible Schema Registry endpoint: answers the REST calls Confluent's
 * serializers and clients make, with Confluent's JSON shapes, status codes and error codes, over a
 * {@link SchemaStore} (the store is the caller's to close). Serves Avro schemas only.
 *
 * <p>Routes: {@code GET /}, {@code GET /subjects}, {@code POST /subjects/{s}} (lookup), {@code POST
 * /subjects/{s}/versions} (register), {@code GET /subjects/{s}/versions}, {@code GET
 * /subjects/{s}/versions/{v|latest}[/schema]}, {@code GET /schemas/ids/{id}[/schema]}, {@code GET
 * /schemas/types}, {@code GET|PUT|DELETE /config[/{s}]} (compatibility levels, global default
 * BACKWARD) and {@code POST /compatibility/subjects/{s}/versions[/{v|latest}]}.
 *
 * <p>A registration is checked against the subject's earlier versions under its compatibility level
 * (Avro's {@link org.apache.avro.SchemaCompatibility}) and refused with Confluent's 409 when
 * incompatible. Check and registration run under one lock, so two racing registrations through this
 * server cannot both pass against the same latest version; like Confluent's primary, one registry
 * writing a store is the intended deployment.
 */
public final class RegistryServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RegistryServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int THREADS = 8;
  private static final String CONTENT_TYPE = RestSchemaRegistryClient.CONTENT_TYPE;

  private final HttpServer server;
  private final ExecutorService executor;
  private final SchemaStore store;
  private final Object registrations = new Object();

  private RegistryServer(HttpServer server, ExecutorService executor, SchemaStore store) {
    this.server = server;
    this.executor = executor;
    this.store = store;
  }

  /** Serves {@code store} on the loopback interface, {@code port} 0 picking a free port. */
  public static RegistryServer start(int port, SchemaStore store) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(
          "Registry port " + port + " is out of range: use 1..65535, or 0 for a free port");
    }
    return start(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), store);
  }

  /** Serves {@code store} on {@code address} (e.g. all interfaces for a container). */
  public static RegistryServer start(InetSocketAddress address, SchemaStore store) {
    HttpServer server;
    try {
      server = HttpServer.create(address, 64);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot serve the schema registry on port "
              + address.getPort()
              + ": "
              + e.getMessage()
              + " (is another registry running there? pick another --registry-port)",
          e);
    }
    ExecutorService executor = Executors.newFixedThreadPool(THREADS, daemonThreads());
    RegistryServer registry = new RegistryServer(server, executor, store);
    server.setExecutor(executor);
    server.createContext("/", registry::handle);
    server.start();
    LOG.info("Schema registry listening on {}", registry.url());
    return registry;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** The URL clients on this host use, e.g. http://localhost:8081. */
  public String url() {
    InetAddress address = server.getAddress().getAddress();
    String host =
        address.isAnyLocalAddress() || address.isLoopbackAddress()
            ? "localhost"
            : address.getHostAddress();
    return "http://" + host + ":" + port();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdown();
    try {
      if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private void handle(HttpExchange exchange) {
    try (exchange) {
      Reply reply;
      try {
        reply = route(exchange);
      } catch (ApiError e) {
        reply = e.reply();
      } catch (SchemaStoreException e) {
        LOG.warn("Schema store failed: {}", e.getMessage());
        reply =
            error(
                500,
                SchemaRegistryException.STORE_ERROR,
                "Error in the backend data store - " + e.getMessage());
      } catch (RuntimeException e) {
        LOG.error(
            "Registry request {} {} failed",
            exchange.getRequestMethod(),
            exchange.getRequestURI(),
            e);
        reply = error(500, 500, "Internal Server Error: " + e.getClass().getSimpleName());
      }
      send(exchange, reply);
    } catch (IOException e) {
      // The client went away mid-answer; nothing is left to tell it.
      LOG.debug("Registry client disconnected: {}", e.getMessage());
    }
  }

  private Reply route(HttpExchange exchange) throws IOException {
    String method = exchange.getRequestMethod();
    List<String> path = segments(exchange.getRequestURI().getRawPath());
    int n = path.size();
    if (n == 0) {
      return get(method, () -> JSON.createObjectNode());
    }
    switch (path.get(0)) {
      case "subjects":
        if (n == 1) {
          return get(method, () -> strings(store.subjects()));
        }
        String subject = path.get(1);
        if (n == 2) {
          requireMethod(method, "POST");
          return lookup(subject, readSchema(exchange));
        }
        if (!path.get(2).equals("versions")) {
          break;
        }
        if (n == 3) {
          if (method.equals("POST")) {
            return register(subject, readSchema(exchange));
          }
          return get(method, () -> integers(requireVersions(subject)));
        }
        if (n == 4) {
          return get(method, () -> versionJson(version(subject, path.get(3))));
        }
        if (n == 5 && path.get(4).equals("schema")) {
          return get(method, () -> rawSchema(version(subject, path.get(3)).schema()));
        }
        break;
      case "config":
        return config(method, exchange, n == 1 ? null : path.get(1), n);
      case "compatibility":
        if (n >= 4 && n <= 5 && path.get(1).equals("subjects") && path.get(3).equals("versions")) {
          requireMethod(method, "POST");
          return testCompatibility(
              path.get(2),
              n == 5 ? path.get(4) : null,
              readSchema(exchange),
              query(exchange).getOrDefault("verbose", "false").equalsIgnoreCase("true"));
        }
        break;
      case "schemas":
        if (n == 2 && path.get(1).equals("types")) {
          return get(method, () -> strings(List.of("AVRO")));
        }
        if (n >= 3 && n <= 4 && path.get(1).equals("ids")) {
          int id = parseId(path.get(2));
          if (n == 3) {
            return get(
                method, () -> JSON.createObjectNode().put("schema", schemaById(id).toString()));
          }
          if (path.get(3).equals("schema")) {
            return get(method, () -> rawSchema(schemaById(id)));
          }
        }
        break;
      default:
        break;
    }
    throw new ApiError(404, 404, "HTTP 404 Not Found");
  }

  private Reply register(String subject, Schema schema) {
    RegisteredSchema registered;
    synchronized (registrations) {
      Optional<RegisteredSchema> existing = store.lookup(subject, schema);
      if (existing.isPresent()) {
        return new Reply(200, JSON.createObjectNode().put("id", existing.get().id()));
      }
      CompatibilityLevel level = effectiveLevel(subject);
      List<String> problems = CompatibilityChecker.problems(level, schema, allVersions(subject));
      if (!problems.isEmpty()) {
        throw new ApiError(
            409,
            SchemaRegistryException.INCOMPATIBLE_SCHEMA,
            "Schema being registered is incompatible with an earlier schema for subject \""
                + subject
                + "\", details: "
                + problems);
      }
      registered = store.register(subject, schema);
    }
    LOG.debug(
        "Subject {} version {} has schema id {}", subject, registered.version(), registered.id());
    return new Reply(200, JSON.createObjectNode().put("id", registered.id()));
  }

  /** {@code /config} (global, {@code subject} null) and {@code /config/{subject}}. */
  private Reply config(String method, HttpExchange exchange, String subject, int segments)
      throws IOException {
    if (segments > 2) {
      throw new ApiError(404, 404, "HTTP 404 Not Found");
    }
    switch (method) {
      case "GET":
        Optional<CompatibilityLevel> level = store.compatibility(subject);
        if (subject == null) {
          return levelReply(level.orElse(CompatibilityLevel.DEFAULT));
        }
        if (level.isEmpty()) {
          if (!query(exchange).getOrDefault("defaultToGlobal", "false").equalsIgnoreCase("true")) {
            throw new ApiError(
                404,
                SchemaRegistryException.SUBJECT_COMPATIBILITY_NOT_CONFIGURED,
                "Subject '" + subject + "' does not have subject-level compatibility configured");
          }
          return levelReply(globalLevel());
        }
        return levelReply(level.get());
      case "PUT":
        CompatibilityLevel wanted = readLevel(exchange);
        store.setCompatibility(subject, wanted);
        LOG.info(
            "Compatibility of {} is now {}", subject == null ? "the registry" : subject, wanted);
        return new Reply(200, JSON.createObjectNode().put("compatibility", wanted.name()));
      case "DELETE":
        Optional<CompatibilityLevel> removed = store.deleteCompatibility(subject);
        if (subject == null) {
          // Confluent's newer DELETE /config: back to the default level.
          return levelReply(removed.orElse(CompatibilityLevel.DEFAULT));
        }
        return levelReply(
            removed.orElseThrow(
                () ->
                    new ApiError(
                        404,
                        SchemaRegistryException.SUBJECT_NOT_FOUND,
                        "Subject '" + subject + "' not found.")));
      default:
        throw new ApiError(405, 405, "HTTP 405 Method Not Allowed");
    }
  }

  /**
   * Whether {@code schema} may follow version {@code version} of {@code subject} (or, without a
   * version, the versions the subject's level checks) as Confluent answers it.
   */
  private Reply testCompatibility(String subject, String version, Schema schema, boolean verbose) {
    CompatibilityLevel level = effectiveLevel(subject);
    List<String> problems;
    if (version == null) {
      problems = CompatibilityChecker.problems(level, schema, allVersions(subject));
    } else {
      problems = CompatibilityChecker.problems(level, schema, version(subject, version));
    }
    ObjectNode answer = JSON.createObjectNode().put("is_compatible", problems.isEmpty());
    if (verbose) {
      answer.set("messages", strings(problems));
    }
    return new Reply(200, answer);
  }

  private CompatibilityLevel effectiveLevel(String subject) {
    return store.compatibility(subject).orElseGet(this::globalLevel);
  }

  private CompatibilityLevel globalLevel() {
    return store.compatibility(null).orElse(CompatibilityLevel.DEFAULT);
  }

  /** Every version of {@code subject}, oldest first (empty for a new subject). */
  private List<RegisteredSchema> allVersions(String subject) {
    List<RegisteredSchema> versions = new ArrayList<>();
    for (int number : store.versions(subject)) {
      store.version(subject, number).ifPresent(versions::add);
    }
    return versions;
  }

  private static Reply levelReply(CompatibilityLevel level) {
    return new Reply(200, JSON.createObjectNode().put("compatibilityLevel", level.name()));
  }

  /** The request's JSON body (null when empty); unparsable JSON is a 400 as Confluent's. */
  private static JsonNode readJson(HttpExchange exchange) throws IOException {
    try (InputStream in = exchange.getRequestBody()) {
      return JSON.readTree(in);
    } catch (JsonProcessingException e) {
      throw new ApiError(400, 400, "Unrecognized JSON body: " + oneLine(e.getOriginalMessage()));
    }
  }

  /** Reads a {"compatibility": "LEVEL"} body. */
  private static CompatibilityLevel readLevel(HttpExchange exchange) throws IOException {
    JsonNode body = readJson(exchange);
    String name = body == null ? null : body.path("compatibility").asText(null);
    return CompatibilityLevel.forName(name)
        .orElseThrow(
            () ->
                new ApiError(
                    422,
                    SchemaRegistryException.INVALID_COMPATIBILITY_LEVEL,
                    CompatibilityLevel.INVALID_MESSAGE));
  }

  /** The URL-decoded query parameters of the request (the last value of a repeated one). */
  private static Map<String, String> query(HttpExchange exchange) {
    Map<String, String> parameters = new HashMap<>();
    String raw = exchange.getRequestURI().getRawQuery();
    if (raw == null) {
      return parameters;
    }
    for (String pair : raw.split("&")) {
      int equals = pair.indexOf('=');
      String name = equals < 0 ? pair : pair.substring(0, equals);
      String value = equals < 0 ? "" : pair.substring(equals + 1);
      parameters.put(
          URLDecoder.decode(name, StandardCharsets.UTF_8),
          URLDecoder.decode(value, StandardCharsets.UTF_8));
    }
    return parameters;
  }

  private Reply lookup(String subject, Schema schema) {
    requireVersions(subject);
    RegisteredSchema found =
        store
            .lookup(subject, schema)
            .orElseThrow(
                () ->
                    new ApiError(
                        404, SchemaRegistryException.SCHEMA_NOT_FOUND, "Schema not found"));
    return new Reply(200, versionJson(found));
  }

  private List<Integer> requireVersions(String subject) {
    List<Integer> versions = store.versions(subject);
    if (versions.isEmpty()) {
      throw new ApiError(
          404, SchemaRegistryException.SUBJECT_NOT_FOUND, "Subject '" + subject + "' not found.");
    }
    return versions;
  }

  private RegisteredSchema version(String subject, String version) {
    int number;
    if (version.equals("latest") || version.equals("-1")) {
      number = -1;
    } else {
      try {
        number = Integer.parseInt(version);
      } catch (NumberFormatException e) {
        number = 0;
      }
      if (number < 1) {
        throw new ApiError(
            422,
            SchemaRegistryException.INVALID_VERSION,
            "The specified version '"
                + version
                + "' is not a valid version id. Allowed values"
                + " are between [1, 2^31-1] and the string \"latest\"");
      }
    }
    List<Integer> versions = requireVersions(subject);
    int wanted = number == -1 ? versions.get(versions.size() - 1) : number;
    return store
        .version(subject, wanted)
        .orElseThrow(
            () ->
                new ApiError(
                    404,
                    SchemaRegistryException.VERSION_NOT_FOUND,
                    "Version " + version + " not found."));
  }

  private Schema schemaById(int id) {
    return store
        .schemaById(id)
        .orElseThrow(
            () ->
                new ApiError(
                    404, SchemaRegistryException.SCHEMA_NOT_FOUND, "Schema " + id + " not found"));
  }

  private static int parseId(String text) {
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new ApiError(404, 404, "HTTP 404 Not Found");
    }
  }

  /** Reads a {"schema": "...", "schemaType"?, "references"?} body and parses the Avro schema. */
  private static Schema readSchema(HttpExchange exchange) throws IOException {
    JsonNode body = readJson(exchange);
    if (body == null || !body.isObject()) {
      throw new ApiError(
          400, 400, "The request body must be a JSON object with a \"schema\" field");
    }
    String type = body.path("schemaType").asText("AVRO");
    if (!type.equals("AVRO")) {
      throw new ApiError(
          422,
          SchemaRegistryException.INVALID_SCHEMA,
          "Invalid schema type " + type + ": this registry serves AVRO schemas only");
    }
    if (body.path("references").size() > 0) {
      throw new ApiError(
          422,
          SchemaRegistryException.INVALID_SCHEMA,
          "Invalid schema: schema references are not supported by this registry; inline the"
              + " referenced types");
    }
    JsonNode text = body.get("schema");
    if (text == null || !text.isTextual() || text.asText().isBlank()) {
      throw new ApiError(422, SchemaRegistryException.INVALID_SCHEMA, "Empty schema");
    }
    try {
      return AvroSchemas.parse(text.asText());
    } catch (AvroRuntimeException e) {
      throw new ApiError(
          422,
          SchemaRegistryException.INVALID_SCHEMA,
          "Invalid schema: " + oneLine(e.getMessage()));
    }
  }

  private static ObjectNode versionJson(RegisteredSchema registered) {
    return JSON.createObjectNode()
        .put("subject", registered.subject())
        .put("version", registered.version())
        .put("id", registered.id())
        .put("schema", registered.schema().toString());
  }

  private static JsonNode rawSchema(Schema schema) {
    try {
      return JSON.readTree(schema.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ArrayNode strings(List<String> values) {
    ArrayNode array = JSON.createArrayNode();
    values.forEach(array::add);
    return array;
  }

  private static ArrayNode integers(List<Integer> values) {
    ArrayNode array = JSON.createArrayNode();
    values.forEach(array::add);
    return array;
  }

  private static Reply get(String method, Supplier<JsonNode> body) {
    requireMethod(method, "GET");
    return new Reply(200, body.get());
  }

  private static void requireMethod(String method, String expected) {
    if (!method.equals(expected)) {
      throw new ApiError(405, 405, "HTTP 405 Method Not Allowed");
    }
  }

  /** Raw path segments, each URL-decoded (so a subject may contain an encoded '/'). */
  private static List<String> segments(String rawPath) {
    List<String> segments = new ArrayList<>();
    for (String segment : rawPath.split("/")) {
      if (!segment.isEmpty()) {
        segments.add(URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8));
      }
    }
    return segments;
  }

  private static void send(HttpExchange exchange, Reply reply) throws IOException {
    byte[] body = JSON.writeValueAsBytes(reply.body);
    exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
    exchange.sendResponseHeaders(reply.status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  private static Reply error(int status, int errorCode, String message) {
    return new Reply(
        status, JSON.createObjectNode().put("error_code", errorCode).put("message", message));
  }

  private static String oneLine(String text) {
    return text == null ? "" : text.replaceAll("\\s+", " ").strip();
  }

  private record Reply(int status, JsonNode body) {}

  /** A Confluent-shaped error answer. */
  private static final class ApiError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final int errorCode;

    ApiError(int status, int errorCode, String message) {
      super(message, null, false, false);
      this.status = status;
      this.errorCode = errorCode;
    }

    Reply reply() {
      return error(status, errorCode, getMessage());
    }
  }

  private static ThreadFactory daemonThreads() {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, "registry-http-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
