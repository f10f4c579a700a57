package io.streamtrain.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamtrain.kafka.ModuleDefinitions;
import io.streamtrain.model.ModelSpec;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.testing.TorchScripts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The module travels through Kafka: a trainer publishes its TorchScript module to the definitions
 * topic keyed by SHA-256, and {@code evaluate} in another JVM, which was never given the file,
 * loads the module the snapshot names from there. Bytes under a key they do not hash to are
 * refused. Skipped where /usr/bin/python3 cannot import torch.
 */
class TorchScriptDefinitionsIT {
  @TempDir static Path dir;
  private static Scenario scenario;
  private static Path module;

  @BeforeAll
  static void start() throws Exception {
    TorchScripts.assumeTorch();
    module = TorchScripts.make(dir, "quickstart");
    scenario = Scenario.embedded();
    scenario.createTopics();
  }

  @AfterAll
  static void stop() {
    if (scenario != null) {
      scenario.close();
    }
  }

  @Test
  void shouldServeTheModuleASnapshotNamesToAProcessWithoutTheFile() throws Exception {
    String model = "ts-definitions";
    Pipeline pipeline =
        new Pipeline(
            scenario.settings(
                model,
                scenario.newDir("state"),
                Map.of("architecture", "torchscript:" + module, "shuffle-window", "256")));
    scenario.produce(pipeline.names().imagesTrain(), TestPipelines.images("train", 512, 1));
    scenario.produce(pipeline.names().imagesTest(), TestPipelines.images("test", 256, 2));
    QuickstartPrinter printer = new QuickstartPrinter(System.err, 512);
    try (TrainingRun run = new TrainingRun(pipeline, true, printer).start()) {
      scenario.replay(1);
      run.awaitEpoch(printer, 1);
    }
    ModelSnapshot snapshot = pipeline.latestSnapshot().orElseThrow();
    String hash = sha256(Files.readAllBytes(module));
    assertEquals("torchscript:" + hash + "@1x28x28", snapshot.getArchitecture());
    byte[] published =
        ModuleDefinitions.find(pipeline.settings(), pipeline.names().modelDefinitions(), hash)
            .orElseThrow();
    assertArrayEquals(Files.readAllBytes(module), published);

    Scenario.Child evaluate =
        scenario.launch(
            "evaluate",
            List.of(
                "evaluate",
                "--json",
                "--bootstrap",
                scenario.bootstrap(),
                "--registry",
                scenario.registryUrl(),
                "--topic-prefix",
                scenario.topicPrefix(),
                "--model-name",
                model));
    assertEquals(0, evaluate.awaitExit(Duration.ofSeconds(180)), evaluate.describe());
    JsonNode result = new ObjectMapper().readTree(evaluate.stdout().strip());
    assertEquals(snapshot.getVersion(), result.get("version").asLong());
    assertEquals(256, result.get("count").asInt());
    assertTrue(result.get("accuracy").asDouble() > 0.5, evaluate.stdout());
  }

  @Test
  void shouldRefuseBytesThatDoNotHashToTheirKey() throws Exception {
    Pipeline pipeline =
        new Pipeline(scenario.settings("ts-forged", scenario.newDir("forged"), Map.of()));
    String claimed = "ab".repeat(32);
    ModuleDefinitions.publish(
        pipeline.settings(),
        pipeline.names().modelDefinitions(),
        claimed,
        Files.readAllBytes(module));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ModelSpec.parse("torchscript:" + claimed + "@1x28x28"));
    assertTrue(e.getMessage().contains("refusing it"), e.getMessage());
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
