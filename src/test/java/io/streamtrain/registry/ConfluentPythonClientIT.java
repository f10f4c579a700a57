package io.streamtrain.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamtrain.schema.ImageEncoding;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.testing.Python;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Confluent's own Python client ({@code confluent_kafka.schema_registry}, Debian's
 * python3-confluent-kafka, which needs python3-requests) against the embedded endpoint: ids,
 * schemas, framing and the compatibility API. Skipped where that client is not installed.
 */
class ConfluentPythonClientIT {
  private static final String PYTHON = Python.PATH;
  private static final String SUBJECT = "images.train-value";

  private RegistryServer server;

  @BeforeEach
  void start() {
    assumeTrue(
        Python.imports(Duration.ofSeconds(30), "confluent_kafka.schema_registry"),
        "python3 with confluent_kafka.schema_registry is not installed");
    server = RegistryServer.start(0, new InMemorySchemaStore());
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void shouldAgreeWithConfluentPythonClientOnIdsSchemasAndFraming(@TempDir Path dir)
      throws Exception {
    Schema schema = AvroSchemas.withoutJavaProperties(LabeledImage.getClassSchema());
    Path schemaFile = Files.writeString(dir.resolve("LabeledImage.avsc"), schema.toString(true));
    Path script = dir.resolve("confluent_client.py");
    try (InputStream in = getClass().getResourceAsStream("/registry/confluent_client.py")) {
      Files.copy(in, script);
    }

    JsonNode python =
        runPython(dir, script.toString(), server.url(), SUBJECT, schemaFile.toString());
    AvroSerde<LabeledImage> serde = new AvroSerde<>(LabeledImage.class);
    serde.configure(Map.of(SchemaRegistryConfig.URL, server.url()), false);
    byte[] javaBytes = serde.serializer().serialize("images.train", image());

    int pythonId = python.path("id").asInt();
    assertEquals(pythonId, WireFormat.schemaId(javaBytes));
    assertEquals(schema, AvroSchemas.parse(python.path("fetched_schema").asText()));
    assertEquals(pythonId, python.path("lookup_id").asInt());
    assertEquals(1, python.path("lookup_version").asInt());
    assertEquals(pythonId, python.path("latest_id").asInt());
    assertEquals("[\"" + SUBJECT + "\"]", python.path("subjects").toString());
    assertEquals("[1]", python.path("versions").toString());
    if (!python.path("record").isNull()) {
      byte[] fromPython = Base64.getDecoder().decode(python.path("record").asText());
      assertEquals(image(), serde.deserializer().deserialize("images.train", fromPython));
    }
  }

  @Test
  void shouldServeConfluentPythonClientsCompatibilityCalls(@TempDir Path dir) throws Exception {
    Path script = dir.resolve("confluent_compat.py");
    try (InputStream in = getClass().getResourceAsStream("/registry/confluent_compat.py")) {
      Files.copy(in, script);
    }

    JsonNode python = runPython(dir, script.toString(), server.url(), "points-value");

    assertEquals("BACKWARD", python.path("global").asText());
    assertTrue(python.path("with_default").asBoolean());
    assertFalse(python.path("without_default").asBoolean(true));
    assertEquals(409, python.path("refused").path("status").asInt());
    assertEquals(409, python.path("refused").path("code").asInt());
    assertTrue(
        python
            .path("refused")
            .path("message")
            .asText()
            .startsWith(
                "Schema being registered is incompatible with an earlier schema for subject"
                    + " \"points-value\""),
        python.toString());
    assertEquals(404, python.path("unset").path("status").asInt());
    assertEquals(40408, python.path("unset").path("code").asInt());
    assertEquals("{\"compatibility\":\"FORWARD\"}", python.path("set").toString());
    assertEquals("FORWARD", python.path("subject").asText());
    assertEquals(python.path("first_id").asInt() + 1, python.path("after_set_id").asInt());
    assertEquals("[1,2]", python.path("versions").toString());
  }

  private static LabeledImage image() {
    return LabeledImage.newBuilder()
        .setId("from-python")
        .setHeight(1)
        .setWidth(2)
        .setChannels(1)
        .setEncoding(ImageEncoding.RAW)
        .setData(ByteBuffer.wrap(new byte[] {1, 2}))
        .setLabel(9)
        .setClassName("Ankle boot")
        .build();
  }

  private static JsonNode runPython(Path dir, String... args)
      throws IOException, InterruptedException {
    Path log = dir.resolve("python.log");
    Process process = new ProcessBuilder(concat(PYTHON, args)).redirectError(log.toFile()).start();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(
          "Python client did not finish within 60 s: " + Files.readString(log));
    }
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (process.exitValue() != 0) {
      throw new AssertionError("Python client failed: " + Files.readString(log));
    }
    return new ObjectMapper().readTree(out);
  }

  private static List<String> concat(String first, String... rest) {
    List<String> all = new java.util.ArrayList<>();
    all.add(first);
    all.addAll(List.of(rest));
    return all;
  }
}
