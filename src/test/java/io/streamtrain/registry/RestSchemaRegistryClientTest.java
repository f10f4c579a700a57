package io.streamtrain.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.Prediction;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.avro.Schema;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RestSchemaRegistryClientTest {
  private static final String SUBJECT = "images.train-value";
  private static final Schema IMAGE =
      AvroSchemas.withoutJavaProperties(LabeledImage.getClassSchema());
  private static final Schema PREDICTION =
      AvroSchemas.withoutJavaProperties(Prediction.getClassSchema());

  private RegistryServer server;
  private SchemaRegistryClient client;

  @BeforeEach
  void startRegistry() {
    server = RegistryServer.start(0, new InMemorySchemaStore());
    client = SchemaRegistries.forUrl(server.url(), Map.of());
  }

  @AfterEach
  void stopRegistry() {
    server.close();
  }

  @Test
  void shouldRegisterFetchAndLookUpSchemas() {
    int id = client.register(SUBJECT, IMAGE);

    SchemaRegistryClient fresh = new RestSchemaRegistryClient(server.url(), Map.of());
    assertEquals(IMAGE, fresh.getById(id));
    assertEquals(new RegisteredSchema(SUBJECT, 1, id, IMAGE), fresh.lookup(SUBJECT, IMAGE));
    assertEquals(id, fresh.register(SUBJECT, IMAGE));
    assertEquals(List.of(1), fresh.versions(SUBJECT));
  }

  @Test
  void shouldGiveOneIdToOneSchemaUnderSeveralSubjects() {
    int first = client.register(SUBJECT, IMAGE);
    int second = client.register("images.test-value", IMAGE);
    int other = client.register("predictions-value", PREDICTION);

    assertEquals(first, second);
    assertNotEquals(first, other);
    assertEquals(List.of("images.test-value", SUBJECT, "predictions-value"), client.subjects());
  }

  @Test
  void shouldAnswerLatestAndNumberedVersions() {
    Schema evolved = TestSchemas.withTag(IMAGE, TestSchemas.NULL_DEFAULT);
    int v1 = client.register(SUBJECT, IMAGE);
    int v2 = client.register(SUBJECT, evolved);

    assertEquals(new RegisteredSchema(SUBJECT, 2, v2, evolved), client.getLatest(SUBJECT));
    assertEquals(new RegisteredSchema(SUBJECT, 1, v1, IMAGE), client.getVersion(SUBJECT, 1));
    assertEquals(List.of(1, 2), client.versions(SUBJECT));
  }

  @Test
  void shouldAnswerFromCacheWithoutHttp() {
    int id = client.register(SUBJECT, IMAGE);
    RegisteredSchema found = client.lookup(SUBJECT, IMAGE);
    server.close(); // From here on any HTTP call fails.

    assertEquals(id, client.register(SUBJECT, IMAGE));
    assertEquals(IMAGE, client.getById(id));
    assertEquals(found, client.lookup(SUBJECT, IMAGE));
  }

  @Test
  void shouldEncodeSubjectNamesInPaths() {
    String subject = "odd/subject name+1";
    int id = client.register(subject, IMAGE);

    RestSchemaRegistryClient fresh = new RestSchemaRegistryClient(server.url(), Map.of());
    assertEquals(List.of(subject), fresh.subjects());
    assertEquals(id, fresh.getLatest(subject).id());
  }

  @Test
  void shouldSendConfluentContentTypeAndBasicAuthWithoutPrintingThePassword() {
    try (StubRegistry stub = new StubRegistry()) {
      stub.answer("POST", "/subjects/" + SUBJECT + "/versions", 200, "{\"id\":7}")
          .answer(
              "GET", "/schemas/ids/8", 401, "{\"error_code\":401,\"message\":\"Unauthorized\"}");
      SchemaRegistryClient authed =
          SchemaRegistries.forUrl(
              stub.url(), Map.of(SchemaRegistryConfig.BASIC_AUTH_USER_INFO, "alice:s3cret"));

      assertEquals(7, authed.register(SUBJECT, IMAGE));
      SchemaRegistryException e =
          assertThrows(SchemaRegistryException.class, () -> authed.getById(8));

      StubRegistry.Request register = stub.requests.get(0);
      assertEquals(
          "Basic "
              + Base64.getEncoder().encodeToString("alice:s3cret".getBytes(StandardCharsets.UTF_8)),
          register.authorization());
      assertEquals("application/vnd.schemaregistry.v1+json", register.contentType());
      assertEquals("{\"schema\":" + quoted(IMAGE.toString()) + "}", register.body());
      assertEquals(
          "Schema Registry at "
              + stub.url()
              + " rejected the credentials (HTTP 401) for GET "
              + "/schemas/ids/8: set basic.auth.user.info=user:password",
          e.getMessage());
      assertFalse(e.getMessage().contains("s3cret"));
    }
  }

  @Test
  void shouldTakeCredentialsFromUrlUserInfoAndNeverShowThem() {
    try (StubRegistry stub = new StubRegistry()) {
      stub.answer("GET", "/subjects", 200, "[]");
      SchemaRegistryClient authed =
          SchemaRegistries.forUrl("http://bob:pa55@localhost:" + stub.port(), Map.of());

      assertEquals(List.of(), authed.subjects());
      assertEquals(
          "Basic "
              + Base64.getEncoder().encodeToString("bob:pa55".getBytes(StandardCharsets.UTF_8)),
          stub.requests.get(0).authorization());
      assertEquals(stub.url(), authed.url());
    }
  }

  @Test
  void shouldExplainUnknownSchemaIdSubjectAndVersion() {
    client.register(SUBJECT, IMAGE);

    SchemaRegistryException noId =
        assertThrows(SchemaRegistryException.class, () -> client.getById(999));
    SchemaRegistryException noSubject =
        assertThrows(SchemaRegistryException.class, () -> client.getLatest("nope-value"));
    SchemaRegistryException noVersion =
        assertThrows(SchemaRegistryException.class, () -> client.getVersion(SUBJECT, 9));
    SchemaRegistryException noSchema =
        assertThrows(SchemaRegistryException.class, () -> client.lookup(SUBJECT, PREDICTION));

    assertEquals(
        "Schema Registry at "
            + server.url()
            + " has no schema with id 999: 40403 Schema 999 not found",
        noId.getMessage());
    assertEquals(SchemaRegistryException.SCHEMA_NOT_FOUND, noId.errorCode());
    assertEquals(404, noId.httpStatus());
    assertEquals(SchemaRegistryException.SUBJECT_NOT_FOUND, noSubject.errorCode());
    assertEquals(
        "Schema Registry at "
            + server.url()
            + " has no version latest of subject nope-value: 40401 Subject 'nope-value' not found.",
        noSubject.getMessage());
    assertEquals(SchemaRegistryException.VERSION_NOT_FOUND, noVersion.errorCode());
    assertEquals(SchemaRegistryException.SCHEMA_NOT_FOUND, noSchema.errorCode());
    assertEquals(
        "Schema Registry at "
            + server.url()
            + " has no schema io.streamtrain.schema.Prediction"
            + " under subject "
            + SUBJECT
            + ": 40403 Schema not found",
        noSchema.getMessage());
  }

  @Test
  void shouldExplainInvalidSchemaAnswer() {
    try (StubRegistry stub = new StubRegistry()) {
      stub.answer(
          "POST",
          "/subjects/" + SUBJECT + "/versions",
          422,
          "{\"error_code\":42201,\"message\":\"Invalid schema {type=record}\\n with refs []\"}");
      SchemaRegistryException e = failure(stub, stubbed -> stubbed.register(SUBJECT, IMAGE));
      assertRefusal(
          e,
          "Schema Registry at "
              + stub.url()
              + " refused subject "
              + SUBJECT
              + ": 42201 Invalid schema {type=record} with refs []",
          422,
          false);
    }
  }

  @Test
  void shouldExplainIncompatibleSchemaAnswerOfAnOlderRegistry() {
    try (StubRegistry stub = new StubRegistry()) {
      // Before 7.4 Confluent's 409 named neither the level nor the reason: the client asks.
      stub.answer(
              "POST",
              "/subjects/" + SUBJECT + "/versions",
              409,
              "{\"error_code\":409,\"message\":\"Schema being registered is incompatible with an"
                  + " earlier schema\"}")
          .answer("GET", "/config/" + SUBJECT, 200, "{\"compatibilityLevel\":\"FULL\"}");
      SchemaRegistryException e = failure(stub, stubbed -> stubbed.register(SUBJECT, IMAGE));
      assertRefusal(
          e,
          "Schema Registry at "
              + stub.url()
              + " refused io.streamtrain.schema.LabeledImage: it is incompatible with an earlier"
              + " schema for subject "
              + SUBJECT
              + " (compatibility FULL). Make the change compatible (e.g. give new fields a"
              + " default) or change the subject's level (PUT /config/"
              + SUBJECT
              + ")",
          409,
          false);
      assertEquals(SchemaRegistryException.INCOMPATIBLE_SCHEMA, e.errorCode());
    }
  }

  @Test
  void shouldNameSubjectLevelAndReasonOfAnIncompatibleRegistration() {
    client.register(SUBJECT, IMAGE);

    SchemaRegistryException e =
        assertThrows(
            SchemaRegistryException.class,
            () -> client.register(SUBJECT, TestSchemas.withTag(IMAGE, "")));

    assertEquals(
        "Schema Registry at "
            + server.url()
            + " refused io.streamtrain.schema.LabeledImage: it is incompatible with an earlier"
            + " schema for subject "
            + SUBJECT
            + " (compatibility BACKWARD): The field 'tag' at path '/fields/0' in the new schema"
            + " has no default value and is missing in the old schema. Make the change"
            + " compatible (e.g. give new fields a default) or change the subject's level (PUT"
            + " /config/"
            + SUBJECT
            + ")",
        e.getMessage());
    assertEquals(409, e.httpStatus());
  }

  @Test
  void shouldReadAndSetCompatibilityLevels() {
    RestSchemaRegistryClient rest = new RestSchemaRegistryClient(server.url(), Map.of());

    assertEquals(CompatibilityLevel.BACKWARD, rest.compatibility(null));
    assertEquals(CompatibilityLevel.BACKWARD, rest.compatibility(SUBJECT));
    assertEquals(CompatibilityLevel.FULL, rest.setCompatibility(null, CompatibilityLevel.FULL));
    assertEquals(CompatibilityLevel.NONE, rest.setCompatibility("a b/c", CompatibilityLevel.NONE));

    assertEquals(CompatibilityLevel.FULL, rest.compatibility(null));
    assertEquals(CompatibilityLevel.FULL, rest.compatibility(SUBJECT));
    assertEquals(CompatibilityLevel.NONE, rest.compatibility("a b/c"));
  }

  @Test
  void shouldFallBackToTheGlobalLevelWhereDefaultToGlobalIsUnknown() {
    try (StubRegistry stub = new StubRegistry()) {
      stub.answer(
              "GET",
              "/config/" + SUBJECT,
              404,
              "{\"error_code\":40401,\"message\":\"Subject not found.\"}")
          .answer("GET", "/config", 200, "{\"compatibilityLevel\":\"FORWARD_TRANSITIVE\"}");
      RestSchemaRegistryClient stubbed = new RestSchemaRegistryClient(stub.url(), Map.of());

      assertEquals(CompatibilityLevel.FORWARD_TRANSITIVE, stubbed.compatibility(SUBJECT));
    }
  }

  @Test
  void shouldTestCompatibilityWithReasons() {
    RestSchemaRegistryClient rest = new RestSchemaRegistryClient(server.url(), Map.of());
    client.register(SUBJECT, IMAGE);

    CompatibilityCheck withDefault =
        rest.testCompatibility(SUBJECT, TestSchemas.withTag(IMAGE, TestSchemas.NULL_DEFAULT));
    CompatibilityCheck withoutDefault =
        rest.testCompatibility(SUBJECT, TestSchemas.withTag(IMAGE, ""));
    CompatibilityCheck newSubject = rest.testCompatibility("nobody-value", IMAGE);

    assertEquals(new CompatibilityCheck(true, List.of()), withDefault);
    assertFalse(withoutDefault.compatible());
    assertTrue(
        withoutDefault.messages().get(0).startsWith("{errorType:'READER_FIELD_MISSING_DEFAULT"),
        withoutDefault.messages().toString());
    assertEquals(new CompatibilityCheck(true, List.of()), newSubject);
  }

  @Test
  void shouldExplainAnInvalidLevelAnswer() {
    try (StubRegistry stub = new StubRegistry()) {
      stub.answer("GET", "/config", 200, "{\"compatibilityLevel\":\"SIDEWAYS\"}");
      RestSchemaRegistryClient stubbed = new RestSchemaRegistryClient(stub.url(), Map.of());

      SchemaRegistryException e =
          assertThrows(SchemaRegistryException.class, () -> stubbed.compatibility(null));
      assertEquals(
          "Schema Registry at "
              + stub.url()
              + " answered GET /config without a known compatibility level in"
              + " 'compatibilityLevel' (is it a Confluent-compatible registry?)",
          e.getMessage());
    }
  }

  @Test
  void shouldExplainStoreErrorAnswer() {
    try (StubRegistry stub = new StubRegistry()) {
      stub.answer(
          "GET",
          "/schemas/ids/1",
          500,
          "{\"error_code\":50001,\"message\":\"Error in the backend data store\"}");
      SchemaRegistryException e = failure(stub, stubbed -> stubbed.getById(1));
      assertEquals(
          "Schema Registry at "
              + stub.url()
              + " failed GET /schemas/ids/1 (HTTP 500): 50001 Error in"
              + " the backend data store",
          e.getMessage());
      assertTrue(e.isRetriable());
    }
  }

  @Test
  void shouldExplainNonJsonErrorAnswerFromProxy() {
    try (StubRegistry stub = new StubRegistry()) {
      stub.answerText(
          "GET", "/schemas/ids/1", 502, "text/html", "<html>\n<body>Bad Gateway</body>\n</html>");
      SchemaRegistryException e = failure(stub, stubbed -> stubbed.getById(1));
      assertEquals(
          "Schema Registry at "
              + stub.url()
              + " failed GET /schemas/ids/1 (HTTP 502): HTTP 502"
              + " <html> <body>Bad Gateway</body> </html>",
          e.getMessage());
    }
  }

  @Test
  void shouldExplainUnreachableRegistry() throws IOException {
    String url = "http://localhost:" + freePort();
    SchemaRegistryClient unreachable = SchemaRegistries.forUrl(url, Map.of());

    SchemaRegistryException e =
        assertThrows(SchemaRegistryException.class, () -> unreachable.register(SUBJECT, IMAGE));
    assertRefusal(
        e,
        "Cannot reach Schema Registry at "
            + url
            + " (is `streamtrain broker` or a registry running?)",
        0,
        true);
  }

  @Test
  void shouldTryNextUrlWhenOneIsUnreachable() throws IOException {
    String urls = "http://localhost:" + freePort() + "," + server.url();
    SchemaRegistryClient failover = SchemaRegistries.forUrl(urls, Map.of());

    int id = failover.register(SUBJECT, IMAGE);

    assertEquals(IMAGE, client.getById(id));
  }

  @Test
  void shouldParseSchemasWithReferences() {
    String inner =
        "{\"type\":\"record\",\"name\":\"Inner\",\"namespace\":\"x\",\"fields\":"
            + "[{\"name\":\"v\",\"type\":\"int\"}]}";
    String outer =
        "{\"type\":\"record\",\"name\":\"Outer\",\"namespace\":\"x\",\"fields\":"
            + "[{\"name\":\"inner\",\"type\":\"x.Inner\"}]}";
    try (StubRegistry stub = new StubRegistry()) {
      stub.answer(
              "GET",
              "/schemas/ids/3",
              200,
              "{\"schema\":"
                  + quoted(outer)
                  + ",\"references\":[{\"name\":\"x.Inner\","
                  + "\"subject\":\"inner\",\"version\":1}]}")
          .answer(
              "GET",
              "/subjects/inner/versions/1",
              200,
              "{\"subject\":\"inner\",\"version\":1,\"id\":2,\"schema\":" + quoted(inner) + "}");

      Schema schema = SchemaRegistries.forUrl(stub.url(), Map.of()).getById(3);

      assertEquals("x.Inner", schema.getField("inner").schema().getFullName());
    }
  }

  @Test
  void shouldRefuseNonAvroSchemas() {
    try (StubRegistry stub = new StubRegistry()) {
      stub.answer(
          "GET",
          "/schemas/ids/4",
          200,
          "{\"schema\":\"syntax = \\\"proto3\\\";\",\"schemaType\":\"PROTOBUF\"}");

      SchemaRegistryException e = failure(stub, stubbed -> stubbed.getById(4));
      assertEquals(
          "Schema Registry at "
              + stub.url()
              + " holds a PROTOBUF schema as schema id 4; streamtrain"
              + " reads Avro only",
          e.getMessage());
    }
  }

  @Test
  void shouldRejectMalformedUrls() {
    ConfigException noScheme =
        assertThrows(
            ConfigException.class, () -> SchemaRegistries.forUrl("localhost:8081", Map.of()));
    ConfigException missing =
        assertThrows(ConfigException.class, () -> SchemaRegistries.forUrl(" ", Map.of()));

    assertEquals(
        "Schema registry URL 'localhost:8081' is not http(s)://host:port (or mock://scope)",
        noScheme.getMessage());
    assertEquals(
        "No schema registry URL: set schema.registry.url (e.g. http://localhost:8081 or"
            + " mock://test)",
        missing.getMessage());
  }

  @Test
  void shouldRoundTripThroughSerdeOverRest() {
    AvroSerde<LabeledImage> serde = new AvroSerde<>(LabeledImage.class);
    serde.configure(Map.of(SchemaRegistryConfig.URL, server.url()), false);

    byte[] bytes = serde.serializer().serialize("images.train", TestRecords.image(1));
    SerializationException unknownId =
        assertThrows(
            SerializationException.class,
            () ->
                serde
                    .deserializer()
                    .deserialize("images.train", WireFormat.frame(42, new byte[1])));

    assertEquals(TestRecords.image(1), serde.deserializer().deserialize("images.train", bytes));
    assertEquals("Schema id 42 is not in the registry", unknownId.getMessage());
  }

  @Test
  void shouldNotTreatUnreachableRegistryAsBadRecord() throws IOException {
    AvroSerde<LabeledImage> serde = new AvroSerde<>(LabeledImage.class);
    serde.configure(Map.of(SchemaRegistryConfig.URL, "http://localhost:" + freePort()), false);

    RuntimeException e =
        assertThrows(
            RuntimeException.class,
            () ->
                serde.deserializer().deserialize("images.train", WireFormat.frame(1, new byte[1])));

    assertInstanceOf(SchemaRegistryException.class, e);
    assertFalse(e instanceof SerializationException);
  }

  private static String quoted(String text) {
    return com.fasterxml.jackson.databind.node.TextNode.valueOf(text).toString();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** The client's error says {@code message} and carries the HTTP status and retriability. */
  private static void assertRefusal(
      SchemaRegistryException e, String message, int httpStatus, boolean retriable) {
    assertEquals(message, e.getMessage());
    assertEquals(httpStatus, e.httpStatus());
    assertEquals(retriable, e.isRetriable());
  }

  /** How {@code call} on a client of the stub registry fails. */
  private static SchemaRegistryException failure(
      StubRegistry stub, Consumer<SchemaRegistryClient> call) {
    SchemaRegistryClient stubbed = SchemaRegistries.forUrl(stub.url(), Map.of());
    return assertThrows(SchemaRegistryException.class, () -> call.accept(stubbed));
  }
}
