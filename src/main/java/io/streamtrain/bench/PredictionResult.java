package io.streamtrain.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streamtrain.app.PredictionRun;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Everything a run measured; {@code best} per phase holds the top sustained trial; {@code live} the
 * live trainer's side with {@code --event-rate}, else null.
 */
public record PredictionResult(
    PredictionOptions options,
    List<Trial> trials,
    Map<String, Trial> best,
    int cores,
    String requestSource,
    String model,
    LiveTraining.Side live) {

  /** True when no trial lost, duplicated or failed a request (what a CI gate should check). */
  public boolean noLossNoDuplicates() {
    return trials.stream().allMatch(t -> t.lost() == 0 && t.duplicates() == 0 && t.errors() == 0);
  }

  public String toJson() {
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode root = mapper.createObjectNode();
    root.put("benchmark", "predict");
    root.put("mode", options.findMax() ? "find-max" : "fixed-rate");
    root.put("noLossNoDuplicates", noLossNoDuplicates());
    ObjectNode setup = root.putObject("setup");
    setup.put("cores", cores);
    setup.put("instances", options.instances());
    setup.put("partitions", options.partitions());
    setup.put("maxBatch", options.maxBatch());
    setup.put("maxWaitMs", options.maxWait().toMillis());
    setup.put("guarantee", options.exactlyOnce() ? "exactly_once" : "at_least_once");
    setup.put("durationSeconds", options.duration().toMillis() / 1000.0);
    setup.put("warmupSeconds", options.warmup().toSeconds());
    setup.put("p99TargetMs", options.p99TargetMs());
    setup.put("coldStarts", options.coldStarts());
    setup.put("attempts", options.attempts());
    setup.put("train", options.train());
    setup.put("liveRate", options.liveRate());
    setup.put("requests", requestSource);
    setup.put("model", model);
    setup.put("torchThreads", System.getProperty(PredictionRun.TORCH_THREADS_PROPERTY, "default"));
    options.predictorConfig().forEach((k, v) -> setup.put("predictor." + k, v));
    options.requestConfig().forEach((k, v) -> setup.put("request." + k, v));
    ArrayNode list = root.putArray("trials");
    for (Trial t : trials) {
      list.add(trialJson(mapper, t));
    }
    ObjectNode bestNode = root.putObject("best");
    best.forEach((phase, t) -> bestNode.set(phase, trialJson(mapper, t)));
    try {
      if (live != null) {
        // The keys of bench --live, and the swaps that make the figure one of serving while
        // learning.
        ObjectNode l = (ObjectNode) mapper.readTree(LiveBenchmark.json(live.result()));
        l.put("swapsDuringMeasurement", live.swapsDuringMeasurement());
        l.put("coveredMeasurement", live.covered());
        root.set("live", l);
      }
      return mapper.writeValueAsString(root);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot render the benchmark result as JSON", e);
    }
  }

  private static ObjectNode trialJson(ObjectMapper mapper, Trial t) {
    ObjectNode n = mapper.createObjectNode();
    n.put("phase", t.phase());
    n.put("offeredRate", t.offeredRate());
    n.put("sentRate", round(t.sentRate()));
    n.put("achievedRate", round(t.achievedRate()));
    n.put("seconds", round(t.seconds()));
    n.put("sent", t.sent());
    n.put("answered", t.answered());
    n.put("lost", t.lost());
    n.put("duplicates", t.duplicates());
    n.put("errors", t.errors());
    ObjectNode l = n.putObject("latencyMs");
    l.put("p50", t.latency().p50());
    l.put("p90", t.latency().p90());
    l.put("p99", t.latency().p99());
    l.put("p99.9", t.latency().p999());
    l.put("max", t.latency().max());
    l.put("mean", round(t.latency().mean()));
    n.put("meanBatch", round(t.meanBatch()));
    n.put("largestBatch", t.largestBatch());
    n.put("minModelVersion", t.minModelVersion());
    n.put("modelSwaps", t.modelSwaps());
    n.put("maxModelVersion", t.maxModelVersion());
    n.put("cpuPercent", round(t.cpuPercent()));
    n.put("loadAverage", t.loadAverage());
    n.put("sustained", t.sustained());
    return n;
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  /** One line per trial, then the best sustained rate per phase (and the training ratio). */
  public String toTable() {
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "predict bench: %d instance(s), %d partitions, max batch %d, max wait %d ms, %s,"
                + " %d cores%n",
            options.instances(),
            options.partitions(),
            options.maxBatch(),
            options.maxWait().toMillis(),
            options.exactlyOnce() ? "exactly_once" : "at_least_once",
            cores));
    out.append(
        String.format(
            Locale.ROOT,
            "%-8s %8s %9s %7s %7s %7s %7s %8s %8s %6s %5s %5s %6s %5s %5s %s%n",
            "phase",
            "rate/s",
            "achieved",
            "p50ms",
            "p90ms",
            "p99ms",
            "p99.9ms",
            "max ms",
            "answered",
            "lost",
            "dup",
            "err",
            "batch",
            "cpu%",
            "load",
            "sustained"));
    for (Trial t : trials) {
      Latency l = t.latency();
      out.append(
          String.format(
              Locale.ROOT,
              "%-8s %8.0f %9.0f %7.2f %7.2f %7.2f %7.2f %8.2f %8d %6d %5d %5d %6.1f %5.0f %5.1f"
                  + " %s%n",
              t.phase(),
              t.offeredRate(),
              t.achievedRate(),
              l.p50(),
              l.p90(),
              l.p99(),
              l.p999(),
              l.max(),
              t.answered(),
              t.lost(),
              t.duplicates(),
              t.errors(),
              t.meanBatch(),
              t.cpuPercent(),
              t.loadAverage(),
              t.sustained() ? "yes" : "NO"));
    }
    best.forEach(
        (phase, t) ->
            out.append(
                String.format(
                    Locale.ROOT,
                    "best sustained (%s): %.0f predictions/s, p99 %.2f ms%n",
                    phase,
                    t.achievedRate(),
                    t.latency().p99())));
    Trial idle = best.get("idle");
    for (String phase : List.of("training", PredictionBenchmark.LIVE_PHASE)) {
      Trial busy = best.get(phase);
      if (idle != null && busy != null) {
        out.append(
            String.format(
                Locale.ROOT,
                "%s/idle: throughput %.2fx, p99 %.2fx%n",
                phase,
                busy.achievedRate() / idle.achievedRate(),
                busy.latency().p99() / Math.max(idle.latency().p99(), 1e-9)));
      }
    }
    if (live != null) {
      out.append(
          String.format(
              Locale.ROOT,
              "live trainer: %s; %d swaps during the measured trial%s%n",
              LiveBenchmark.line(live.result()),
              live.swapsDuringMeasurement(),
              live.covered()
                  ? ""
                  : " (the live producer stopped before the trial ended: not all of it was"
                      + " measured while learning)"));
    }
    return out.toString();
  }
}
