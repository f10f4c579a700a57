package io.streamtrain.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The endpoint's answers byte for byte as Confluent's clients read them, over plain HTTP. */
class RegistryServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SCHEMA =
      "{\"type\":\"record\",\"name\":\"Point\",\"namespace\":\"geo\",\"fields\":"
          + "[{\"name\":\"x\",\"type\":\"int\"},{\"name\":\"y\",\"type\":\"int\"}]}";
  private static final String SAME_SCHEMA_REFORMATTED =
      "{\n"
          + "  \"namespace\": \"geo\", \"type\": \"record\",  \"name\": \"Point\",\n"
          + "  \"fields\": [\n"
          + "    {\"type\": \"int\", \"name\": \"x\"},\n"
          + "    {\"name\": \"y\", \"type\": \"int\"}\n"
          + "  ]\n"
          + "}";
  // Point with a third field that has a default: a BACKWARD-compatible next version.
  private static final String OTHER_SCHEMA =
      "{\"type\":\"record\",\"name\":\"Point\",\"namespace\":\"geo\",\"fields\":"
          + "[{\"name\":\"x\",\"type\":\"int\"},{\"name\":\"y\",\"type\":\"int\"},"
          + "{\"name\":\"z\",\"type\":\"int\",\"default\":0}]}";
  // Point with a third field without a default: new readers cannot read old data.
  private static final String BREAKING_SCHEMA =
      "{\"type\":\"record\",\"name\":\"Point\",\"namespace\":\"geo\",\"fields\":"
          + "[{\"name\":\"x\",\"type\":\"int\"},{\"name\":\"y\",\"type\":\"int\"},"
          + "{\"name\":\"z\",\"type\":\"int\"}]}";

  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private RegistryServer server;

  @BeforeEach
  void start() {
    server = RegistryServer.start(0, new InMemorySchemaStore());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void shouldAnswerRootWithEmptyObject() {
    Answer root = call("GET", "/", null);

    assertEquals(200, root.status);
    assertEquals("{}", root.body.toString());
    assertEquals("application/vnd.schemaregistry.v1+json", root.contentType);
  }

  @Test
  void shouldRegisterAndReuseIdsAsConfluentDoes() {
    Answer first = call("POST", "/subjects/points-value/versions", schemaBody(SCHEMA));
    Answer again =
        call("POST", "/subjects/points-value/versions", schemaBody(SAME_SCHEMA_REFORMATTED));
    Answer otherSubject = call("POST", "/subjects/shapes-value/versions", schemaBody(SCHEMA));
    Answer otherSchema = call("POST", "/subjects/points-value/versions", schemaBody(OTHER_SCHEMA));

    assertEquals("{\"id\":1}", first.body.toString());
    assertEquals("{\"id\":1}", again.body.toString());
    assertEquals("{\"id\":1}", otherSubject.body.toString());
    assertEquals("{\"id\":2}", otherSchema.body.toString());
    assertEquals("[1,2]", call("GET", "/subjects/points-value/versions", null).body.toString());
    assertEquals("[1]", call("GET", "/subjects/shapes-value/versions", null).body.toString());
    assertEquals(
        "[\"points-value\",\"shapes-value\"]", call("GET", "/subjects", null).body.toString());
  }

  @Test
  void shouldAcceptExplicitAvroTypeAndEmptyReferences() {
    String body =
        "{\"schema\":" + TextNode.valueOf(SCHEMA) + ",\"schemaType\":\"AVRO\",\"references\":[]}";

    assertEquals(
        "{\"id\":1}", call("POST", "/subjects/points-value/versions", body).body.toString());
  }

  @Test
  void shouldLookUpSchemaUnderSubject() {
    call("POST", "/subjects/points-value/versions", schemaBody(SCHEMA));

    Answer found = call("POST", "/subjects/points-value", schemaBody(SAME_SCHEMA_REFORMATTED));
    Answer noSubject = call("POST", "/subjects/nope-value", schemaBody(SCHEMA));
    Answer noSchema = call("POST", "/subjects/points-value", schemaBody(OTHER_SCHEMA));

    assertEquals(
        "{\"subject\":\"points-value\",\"version\":1,\"id\":1,\"schema\":"
            + TextNode.valueOf(canonical(SCHEMA))
            + "}",
        found.body.toString());
    assertError(noSubject, 404, 40401, "Subject 'nope-value' not found.");
    assertError(noSchema, 404, 40403, "Schema not found");
  }

  @Test
  void shouldServeSchemasById() {
    call("POST", "/subjects/points-value/versions", schemaBody(SCHEMA));

    assertEquals(
        "{\"schema\":" + TextNode.valueOf(canonical(SCHEMA)) + "}",
        call("GET", "/schemas/ids/1", null).body.toString());
    assertEquals(canonical(SCHEMA), call("GET", "/schemas/ids/1/schema", null).body.toString());
    assertError(call("GET", "/schemas/ids/7", null), 404, 40403, "Schema 7 not found");
    assertEquals("[\"AVRO\"]", call("GET", "/schemas/types", null).body.toString());
  }

  @Test
  void shouldServeVersionsLatestAndErrors() {
    call("POST", "/subjects/points-value/versions", schemaBody(SCHEMA));
    call("POST", "/subjects/points-value/versions", schemaBody(OTHER_SCHEMA));

    assertEquals(
        "{\"subject\":\"points-value\",\"version\":2,\"id\":2,\"schema\":"
            + TextNode.valueOf(canonical(OTHER_SCHEMA))
            + "}",
        call("GET", "/subjects/points-value/versions/latest", null).body.toString());
    assertEquals(1, call("GET", "/subjects/points-value/versions/1", null).body.path("id").asInt());
    assertError(
        call("GET", "/subjects/points-value/versions/3", null), 404, 40402, "Version 3 not found.");
    assertError(
        call("GET", "/subjects/nope/versions/1", null), 404, 40401, "Subject 'nope' not found.");
    assertError(
        call("GET", "/subjects/nope/versions", null), 404, 40401, "Subject 'nope' not found.");
    Answer badVersion = call("GET", "/subjects/points-value/versions/first", null);
    assertEquals(422, badVersion.status);
    assertEquals(42202, badVersion.body.path("error_code").asInt());
  }

  @Test
  void shouldServeTheGlobalLevelWithConfluentShapes() {
    Answer initial = call("GET", "/config", null);
    Answer put = call("PUT", "/config", "{\"compatibility\":\"full_transitive\"}");
    Answer after = call("GET", "/config", null);
    Answer invalid = call("PUT", "/config", "{\"compatibility\":\"SIDEWAYS\"}");
    Answer missing = call("PUT", "/config", "{}");
    Answer deleted = call("DELETE", "/config", null);

    assertEquals("{\"compatibilityLevel\":\"BACKWARD\"}", initial.body.toString());
    assertEquals(200, put.status);
    assertEquals("{\"compatibility\":\"FULL_TRANSITIVE\"}", put.body.toString());
    assertEquals("{\"compatibilityLevel\":\"FULL_TRANSITIVE\"}", after.body.toString());
    assertError(
        invalid,
        422,
        42203,
        "Invalid compatibility level. Valid values are none, backward, forward, full,"
            + " backward_transitive, forward_transitive, and full_transitive");
    assertEquals(42203, missing.body.path("error_code").asInt());
    assertEquals("{\"compatibilityLevel\":\"FULL_TRANSITIVE\"}", deleted.body.toString());
    assertEquals(
        "{\"compatibilityLevel\":\"BACKWARD\"}", call("GET", "/config", null).body.toString());
  }

  @Test
  void shouldServeSubjectLevelsWithConfluentShapesAndCodes() {
    call("PUT", "/config", "{\"compatibility\":\"FORWARD\"}");

    Answer unset = call("GET", "/config/points-value", null);
    Answer fallback = call("GET", "/config/points-value?defaultToGlobal=true", null);
    Answer put = call("PUT", "/config/points-value", "{\"compatibility\":\"NONE\"}");
    Answer set = call("GET", "/config/points-value", null);
    Answer setWithFallback = call("GET", "/config/points-value?defaultToGlobal=true", null);
    Answer deleted = call("DELETE", "/config/points-value", null);
    Answer deletedAgain = call("DELETE", "/config/points-value", null);

    assertError(
        unset,
        404,
        40408,
        "Subject 'points-value' does not have subject-level compatibility configured");
    assertEquals("{\"compatibilityLevel\":\"FORWARD\"}", fallback.body.toString());
    assertEquals("{\"compatibility\":\"NONE\"}", put.body.toString());
    assertEquals("{\"compatibilityLevel\":\"NONE\"}", set.body.toString());
    assertEquals("{\"compatibilityLevel\":\"NONE\"}", setWithFallback.body.toString());
    assertEquals("{\"compatibilityLevel\":\"NONE\"}", deleted.body.toString());
    assertError(deletedAgain, 404, 40401, "Subject 'points-value' not found.");
    assertEquals(404, call("GET", "/config/points-value", null).status);
    assertError(call("POST", "/config", "{}"), 405, 405, "HTTP 405 Method Not Allowed");
  }

  @Test
  void shouldRefuseAnIncompatibleRegistrationWith409() {
    call("POST", "/subjects/points-value/versions", schemaBody(SCHEMA));

    Answer refused = call("POST", "/subjects/points-value/versions", schemaBody(BREAKING_SCHEMA));

    assertEquals(409, refused.status);
    assertEquals(409, refused.body.path("error_code").asInt());
    String message = refused.body.path("message").asText();
    assertTrue(
        message.startsWith(
            "Schema being registered is incompatible with an earlier schema for subject"
                + " \"points-value\", details: [{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE',"
                + " description:'The field 'z' at path '/fields/2' in the new schema has no"
                + " default value and is missing in the old schema', additionalInfo:'z'},"
                + " {oldSchemaVersion: 1}, {oldSchema: '"),
        message);
    assertTrue(message.endsWith("'}, {compatibility: 'BACKWARD'}]"), message);
    assertEquals("[1]", call("GET", "/subjects/points-value/versions", null).body.toString());
  }

  @Test
  void shouldRegisterWhatTheSubjectLevelAllows() {
    call("POST", "/subjects/points-value/versions", schemaBody(SCHEMA));
    call("PUT", "/config/points-value", "{\"compatibility\":\"FORWARD\"}");

    // FORWARD: old readers ignore the new field, so a field without default is fine.
    Answer forward = call("POST", "/subjects/points-value/versions", schemaBody(BREAKING_SCHEMA));
    // Another subject still follows the global BACKWARD level.
    call("POST", "/subjects/shapes-value/versions", schemaBody(SCHEMA));
    Answer backward = call("POST", "/subjects/shapes-value/versions", schemaBody(BREAKING_SCHEMA));

    assertEquals("{\"id\":2}", forward.body.toString());
    assertEquals(409, backward.status);
  }

  @Test
  void shouldAnswerAnAlreadyRegisteredSchemaWithoutCheckingAgain() {
    call("PUT", "/config/points-value", "{\"compatibility\":\"NONE\"}");
    call("POST", "/subjects/points-value/versions", schemaBody(SCHEMA));
    call("POST", "/subjects/points-value/versions", schemaBody(OTHER_SCHEMA));
    call("POST", "/subjects/points-value/versions", schemaBody(BREAKING_SCHEMA));
    call("PUT", "/config/points-value", "{\"compatibility\":\"FULL_TRANSITIVE\"}");

    // Version 1 breaks version 3 under FULL, but it is already version 1: Confluent answers its id.
    Answer again = call("POST", "/subjects/points-value/versions", schemaBody(SCHEMA));

    assertEquals("{\"id\":1}", again.body.toString());
  }

  @Test
  void shouldTestCompatibilityAgainstAVersion() {
    call("POST", "/subjects/points-value/versions", schemaBody(SCHEMA));
    String latest = "/compatibility/subjects/points-value/versions/latest";

    Answer compatible = call("POST", latest, schemaBody(OTHER_SCHEMA));
    Answer incompatible = call("POST", latest, schemaBody(BREAKING_SCHEMA));
    Answer verbose = call("POST", latest + "?verbose=true", schemaBody(BREAKING_SCHEMA));
    Answer verboseOk = call("POST", latest + "?verbose=true", schemaBody(OTHER_SCHEMA));
    Answer numbered =
        call(
            "POST", "/compatibility/subjects/points-value/versions/1", schemaBody(BREAKING_SCHEMA));
    Answer allVersions =
        call("POST", "/compatibility/subjects/points-value/versions", schemaBody(OTHER_SCHEMA));

    assertEquals("{\"is_compatible\":true}", compatible.body.toString());
    assertEquals("{\"is_compatible\":false}", incompatible.body.toString());
    assertEquals(false, verbose.body.path("is_compatible").asBoolean(true));
    assertEquals(
        "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'z' at path"
            + " '/fields/2' in the new schema has no default value and is missing in the old"
            + " schema', additionalInfo:'z'}",
        verbose.body.path("messages").get(0).asText());
    assertEquals(
        "{compatibility: 'BACKWARD'}",
        verbose.body.path("messages").get(verbose.body.path("messages").size() - 1).asText());
    assertEquals("{\"is_compatible\":true,\"messages\":[]}", verboseOk.body.toString());
    assertEquals("{\"is_compatible\":false}", numbered.body.toString());
    assertEquals("{\"is_compatible\":true}", allVersions.body.toString());
  }

  @Test
  void shouldAnswerCompatibilityChecksOnMissingSubjectsAndVersionsAsConfluent() {
    call("POST", "/subjects/points-value/versions", schemaBody(SCHEMA));

    assertError(
        call(
            "POST", "/compatibility/subjects/nope-value/versions/latest", schemaBody(OTHER_SCHEMA)),
        404,
        40401,
        "Subject 'nope-value' not found.");
    assertError(
        call("POST", "/compatibility/subjects/points-value/versions/7", schemaBody(OTHER_SCHEMA)),
        404,
        40402,
        "Version 7 not found.");
    Answer badVersion =
        call(
            "POST",
            "/compatibility/subjects/points-value/versions/first",
            schemaBody(OTHER_SCHEMA));
    assertEquals(42202, badVersion.body.path("error_code").asInt());
    Answer badSchema =
        call(
            "POST",
            "/compatibility/subjects/points-value/versions/latest",
            schemaBody("{\"type\":\"recrod\"}"));
    assertEquals(42201, badSchema.body.path("error_code").asInt());
    assertError(
        call("GET", "/compatibility/subjects/points-value/versions/latest", null),
        405,
        405,
        "HTTP 405 Method Not Allowed");
  }

  @Test
  void shouldRejectInvalidSchemas() {
    Answer unparseable = call("POST", "/subjects/s/versions", schemaBody("{\"type\":\"recrod\"}"));
    Answer empty = call("POST", "/subjects/s/versions", "{}");
    Answer protobuf =
        call("POST", "/subjects/s/versions", "{\"schema\":\"syntax\",\"schemaType\":\"PROTOBUF\"}");
    Answer notJson = call("POST", "/subjects/s/versions", "schema please");

    assertEquals(422, unparseable.status);
    assertEquals(42201, unparseable.body.path("error_code").asInt());
    assertTrue(unparseable.body.path("message").asText().startsWith("Invalid schema: "));
    assertError(empty, 422, 42201, "Empty schema");
    assertEquals(42201, protobuf.body.path("error_code").asInt());
    assertEquals(400, notJson.status);
  }

  @Test
  void shouldAnswerUnknownPathsAndMethodsLikeJersey() {
    assertError(call("GET", "/nothing/here", null), 404, 404, "HTTP 404 Not Found");
    assertError(call("GET", "/schemas/ids/abc", null), 404, 404, "HTTP 404 Not Found");
    assertError(call("DELETE", "/subjects", null), 405, 405, "HTTP 405 Method Not Allowed");
  }

  @Test
  void shouldAnswerStoreFailuresWith50001() {
    try (RegistryServer failing = RegistryServer.start(0, failingStore())) {
      Answer answer = call(failing, "POST", "/subjects/s/versions", schemaBody(SCHEMA));

      assertError(answer, 500, 50001, "Error in the backend data store - disk on fire");
    }
  }

  @Test
  void shouldRefuseAPortInUse() {
    IllegalArgumentException outOfRange =
        assertThrows(
            IllegalArgumentException.class,
            () -> RegistryServer.start(70000, new InMemorySchemaStore()));
    UncheckedIOException inUse =
        assertThrows(
            UncheckedIOException.class,
            () -> RegistryServer.start(server.port(), new InMemorySchemaStore()));

    assertTrue(outOfRange.getMessage().startsWith("Registry port 70000 is out of range"));
    assertTrue(
        inUse.getMessage().startsWith("Cannot serve the schema registry on port " + server.port()),
        inUse.getMessage());
  }

  private record Answer(int status, String contentType, JsonNode body) {}

  private Answer call(String method, String path, String body) {
    return call(server, method, path, body);
  }

  private Answer call(RegistryServer target, String method, String path, String body) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(target.url() + path))
            .header("Content-Type", "application/vnd.schemaregistry.v1+json");
    request.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    try {
      HttpResponse<String> response =
          http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return new Answer(
          response.statusCode(),
          response.headers().firstValue("Content-Type").orElse(""),
          JSON.readTree(response.body()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String schemaBody(String schema) {
    return "{\"schema\":" + TextNode.valueOf(schema) + "}";
  }

  private static String canonical(String schema) {
    return AvroSchemas.parse(schema).toString();
  }

  private static void assertError(Answer answer, int status, int errorCode, String message) {
    assertEquals(status, answer.status);
    assertEquals(
        "{\"error_code\":" + errorCode + ",\"message\":" + TextNode.valueOf(message) + "}",
        answer.body.toString());
  }

  /** A store whose storage is broken: every call but close() fails alike. */
  private static SchemaStore failingStore() {
    InvocationHandler broken =
        (proxy, method, args) ->
            switch (method.getName()) {
              case "close" -> null;
              case "toString" -> "FailingStore";
              case "hashCode" -> System.identityHashCode(proxy);
              case "equals" -> proxy == args[0];
              default -> throw new SchemaStoreException("disk on fire");
            };
    return (SchemaStore)
        Proxy.newProxyInstance(
            SchemaStore.class.getClassLoader(), new Class<?>[] {SchemaStore.class}, broken);
  }
}
