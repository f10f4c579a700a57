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
 * {@code bench --predict --live-rate} briefly, end to end: serving is measured idle, then while a
 * trainer learns live events; the live phase's requests are all answered, the instances swapped in
 * the trainer's versions during it, and every live event reached a served model (figures, not their
 * values: latency is shown by running the command).
 */
class BenchPredictLiveIT {
  private static final Path DATA = Path.of("/usr/share/datasets/fashion-mnist");

  @Test
  void shouldMeasureServingWhileTheTrainerLearnsLive() throws Exception {
    assumeTrue(
        FashionMnist.findFiles(DATA).isPresent(),
        "needs Debian's dataset-fashion-mnist (installed by .ci/run)");
    CommandLine.Result r =
        CommandLine.run(
            "bench",
            "--predict",
            "--rate",
            "50",
            "--live-rate",
            "100",
            "--duration",
            "3",
            "--warmup",
            "0",
            "--json",
            "--data",
            DATA.toString());
    assertEquals(0, r.exitCode(), r.err());

    String json = r.out().lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow();
    JsonNode report = new ObjectMapper().readTree(json);
    assertEquals(100.0, report.get("setup").get("liveRate").asDouble());
    JsonNode trials = report.get("trials");
    assertEquals(2, trials.size(), json);
    assertEquals("idle", trials.get(0).get("phase").asText());
    JsonNode measured = trials.get(1);
    assertEquals("live", measured.get("phase").asText());
    assertEquals(150, measured.get("answered").asLong(), "every request of 3 s at 50/s answered");
    assertEquals(0, measured.get("lost").asLong());

    JsonNode live = report.get("live");
    assertTrue(live.get("swapsDuringMeasurement").asLong() > 0, "served while learning: " + live);
    assertEquals(
        measured.get("modelSwaps").asLong(), live.get("swapsDuringMeasurement").asLong(), json);
    assertEquals(0, live.get("lost").asLong(), "every live event reached a served model: " + live);
    assertTrue(live.get("events").asLong() > 0, live.toString());
    assertTrue(live.get("achievedRate").asDouble() > 0, live.toString());
    assertTrue(live.get("freshnessMs").get("p99").isNumber(), live.toString());
    assertTrue(r.err().contains("Trainer learning live"), r.err());
  }
}
