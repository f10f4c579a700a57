package io.streamtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code bench --predict --cold-starts} briefly, end to end: after the warm predictor's trial, a
 * predictor started in a JVM of its own answers the same load, sent once its {@code /ready} said
 * 200, every request once, whether it warmed only the model or its whole request path (figures, not
 * their values: latency is shown by running the command).
 */
class BenchColdStartIT {
  @Test
  void shouldSendTheLoadToAFreshPredictorProcessOnceItIsReady() throws Exception {
    CommandLine.Result r =
        CommandLine.run(
            "bench",
            "--predict",
            "--cold-starts",
            "1",
            "--rate",
            "100",
            "--duration",
            "1",
            "--warmup",
            "0",
            "--json");
    assertEquals(0, r.exitCode(), r.err());

    String json = r.out().lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow();
    JsonNode report = new ObjectMapper().readTree(json);
    assertEquals(1, report.get("setup").get("coldStarts").asInt(), json);
    JsonNode trials = report.get("trials");
    assertEquals(3, trials.size(), json);
    assertEquals("idle", trials.get(0).get("phase").asText());
    assertEquals("fresh-model-only", trials.get(1).get("phase").asText());
    assertEquals("fresh", trials.get(2).get("phase").asText());
    for (JsonNode fresh : List.of(trials.get(1), trials.get(2))) {
      assertEquals(100, fresh.get("answered").asLong(), "every request of 1 s at 100/s answered");
      assertEquals(0, fresh.get("lost").asLong());
      assertEquals(0, fresh.get("duplicates").asLong());
      // Read off the forked predictor's /metrics: it made the forward passes.
      assertTrue(fresh.get("meanBatch").asDouble() >= 1, json);
      assertEquals(0, fresh.get("minModelVersion").asLong(), json);
    }
    // Only the predictor that warms its request path says so.
    assertTrue(
        r.err()
            .lines()
            .anyMatch(
                l ->
                    l.matches(
                        "Fresh predictor 1/1 \\(fresh\\) ready .*: Warmed the request path: 10,000"
                            + " synthetic requests answered in .*")),
        r.err());
    assertTrue(
        r.err().contains("(fresh-model-only) ready") && r.err().contains("request path not warmed"),
        r.err());
  }
}
