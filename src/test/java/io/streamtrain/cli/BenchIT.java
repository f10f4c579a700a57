package io.streamtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamtrain.data.FashionMnist;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * {@code bench} end to end on a subset: both sides train every image of every epoch and the report
 * holds what README quotes (figures, not their values: speed is shown by running the command).
 */
class BenchIT {
  private static final Path DATA = Path.of("/usr/share/datasets/fashion-mnist");

  @Test
  void shouldTimeBothSidesOverEveryEpochAndReportTheirRatio() throws Exception {
    assumeTrue(
        FashionMnist.findFiles(DATA).isPresent(),
        "needs Debian's dataset-fashion-mnist (installed by .ci/run)");
    CommandLine.Result r =
        CommandLine.run(
            "bench",
            "--epochs",
            "2",
            "--warmup-epochs",
            "1",
            "--limit",
            "3000",
            "--heap",
            "1g",
            "--json",
            "--data",
            DATA.toString());
    assertEquals(0, r.exitCode(), r.err());

    String json = r.out().lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow();
    JsonNode report = new ObjectMapper().readTree(json);
    // 3000 images in batches of 64: 47 steps per epoch on each side.
    double seconds = 2 * 3000 / report.get("pipelineImagesPerSecond").asDouble();
    assertEquals(94, Math.round(report.get("pipelineStepsPerSecond").asDouble() * seconds));
    assertEquals(2, report.get("pipelineEpochSeconds").size());
    assertEquals(1, report.get("warmupEpochs").asInt());
    assertTrue(report.get("forked").asBoolean(), "ran in a child JVM");
    assertEquals(1L << 30, report.get("heapMaxBytes").asLong(), "with the heap asked for");
    assertEquals(2, report.get("inMemoryEpochSeconds").size());
    assertEquals(2, report.get("pipelineRssBytes").size(), "resident memory after each epoch");
    assertTrue(report.get("ratio").asDouble() > 0);
    assertTrue(report.get("inMemoryBeforeImagesPerSecond").asDouble() > 0, "first in-memory run");
    assertTrue(report.get("inMemoryAfterImagesPerSecond").asDouble() > 0, "second in-memory run");
    assertTrue(report.get("snapshotBytes").asLong() > 2_600_000, "the quickstart MLP's state dict");
    assertTrue(r.out().contains("after the first epoch (epochs 2-2)"), r.out());
  }

  @Test
  void shouldReportTheFeedCeilingWithANearFreeModelAndItsCostPerImage() throws Exception {
    assumeTrue(
        FashionMnist.findFiles(DATA).isPresent(),
        "needs Debian's dataset-fashion-mnist (installed by .ci/run)");
    CommandLine.Result r =
        CommandLine.run(
            "bench",
            "--feed",
            "--warmup-epochs",
            "1",
            "--limit",
            "3000",
            "--heap",
            "1g",
            "--json",
            "--data",
            DATA.toString());
    assertEquals(0, r.exitCode(), r.err());

    String json = r.out().lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow();
    JsonNode report = new ObjectMapper().readTree(json);
    assertEquals(
        report.get("pipelineImagesPerSecond").asDouble(),
        report.get("feedCeilingImagesPerSecond").asDouble());
    assertEquals(report.get("ratio").asDouble(), report.get("feedCeilingRatio").asDouble());
    // mlp:784-10: 7,850 float parameters, against 2.7 MB for the quickstart MLP.
    assertTrue(report.get("snapshotBytes").asLong() < 100_000, json);
    assertTrue(report.get("allocatedBytesPerImage").asDouble() > 0, json);
    assertTrue(report.get("feedCpuMicrosPerImage").asDouble() > 0, json);
    assertTrue(report.get("stepCpuMicrosPerImage").asDouble() > 0, json);
    assertTrue(r.out().contains("feed ceiling (mlp:784-10)"), r.out());
  }
}
