package io.streamtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamtrain.testing.TorchScripts;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A scripted module that cannot take the input it would be fed is refused by {@code train} with one
 * line, before any broker is reached; {@code bench --predict} serves the module it is given.
 * Skipped where /usr/bin/python3 cannot import torch.
 */
class TorchScriptCommandIT {
  @TempDir static Path dir;
  private static String quickstart;

  @BeforeAll
  static void scriptTheQuickstart() throws Exception {
    TorchScripts.assumeTorch();
    quickstart = "torchscript:" + TorchScripts.make(dir, "quickstart");
  }

  private static void assertOneLineError(CommandLine.Result r, String... fragments) {
    assertNotEquals(0, r.exitCode(), r.err());
    String[] lines = r.err().strip().split("\n");
    String last = lines[lines.length - 1];
    assertTrue(last.startsWith("streamtrain: "), r.err());
    for (String fragment : fragments) {
      assertTrue(last.contains(fragment), "expected '" + fragment + "' in: " + last);
    }
    assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());
  }

  @Test
  void shouldNameTheShapeTriedAndTheModulesErrorWhenItsForwardFails() {
    assertOneLineError(
        CommandLine.run(
            "train",
            "--architecture",
            quickstart,
            "--input-shape",
            "3x32x32",
            "--bootstrap",
            "x:1"),
        "[2, 3, 32, 32] fails",
        "shapes cannot be multiplied",
        "--input-shape");
  }

  @Test
  void shouldRefuseTransformsThatDoNotEndAtTheModulesInput() {
    assertOneLineError(
        CommandLine.run(
            "train",
            "--architecture",
            quickstart,
            "--transforms",
            "resize:32x32,rgb",
            "--bootstrap",
            "x:1"),
        "32x32x3",
        "--input-shape 3x32x32");
  }

  @Test
  void shouldServeTheScriptedModuleInThePredictionBenchmark() throws Exception {
    // It used to serve the quickstart MLP whatever --architecture said.
    CommandLine.Result r =
        CommandLine.run(
            "bench",
            "--predict",
            "--architecture",
            quickstart,
            "--rate",
            "50",
            "--duration",
            "2",
            "--warmup",
            "0",
            "--json");
    assertEquals(0, r.exitCode(), r.err());
    String json = r.out().lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow();
    JsonNode report = new ObjectMapper().readTree(json);
    assertTrue(
        report.get("setup").get("model").asText().startsWith(quickstart + " freshly initialised"),
        json);
    JsonNode trial = report.get("trials").get(0);
    assertEquals(100, trial.get("answered").asLong(), json);
    assertEquals(0, trial.get("lost").asLong(), json);
  }
}
