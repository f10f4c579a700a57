package io.streamtrain.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamtrain.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code streamtrain report --from FILE}: the command end to end without Kafka. */
class ReportFromFileTest {

  @Test
  void shouldWriteBothFilesAndPrintAJsonSummary(@TempDir Path dir) throws Exception {
    Path metrics = dir.resolve("metrics.jsonl");
    MetricLines.write(SyntheticRun.quickstart("fashion-mlp", 5), metrics);
    Path out = dir.resolve("report");

    Captured run = run("report", "--from", metrics.toString(), "--out", out.toString(), "--json");

    assertEquals(0, run.exitCode(), run.stderr());
    assertTrue(Files.size(out.resolve(ReportFiles.PNG)) > 0);
    assertTrue(Files.size(out.resolve(ReportFiles.HTML)) > 0);
    JsonNode summary = new ObjectMapper().readTree(run.stdout());
    assertEquals("fashion-mlp", summary.get("model").asText());
    assertEquals(5 * SyntheticRun.STEPS_PER_EPOCH, summary.get("version").asLong());
    assertEquals(5, summary.get("epochs").size());
    assertEquals(0.646, summary.get("epochs").get(4).get("referenceAccuracy").asDouble(), 1e-12);
    assertEquals(0.664, summary.get("epochs").get(4).get("accuracy").asDouble(), 1e-12);
    assertEquals(
        out.resolve(ReportFiles.PNG).toAbsolutePath().toString(), summary.get("png").asText());
  }

  @Test
  void shouldSayWhichModelsTheFileHoldsWhenTheNamedOneIsAbsent(@TempDir Path dir) {
    Path metrics = dir.resolve("metrics.jsonl");
    MetricLines.write(SyntheticRun.quickstart("fashion-good", 1), metrics);

    Captured run = run("report", "--from", metrics.toString(), "--out", dir.toString());

    assertEquals(1, run.exitCode());
    assertEquals(
        "streamtrain: No training metrics of model fashion-mlp in "
            + metrics
            + " (it holds models fashion-good): pass --model-name",
        run.stderr().strip());
  }

  private record Captured(int exitCode, String stdout, String stderr) {}

  private static Captured run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int code = Main.run(args);
      return new Captured(
          code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }
}
