package io.streamtrain.cli;

import io.streamtrain.app.PredictionRun;
import io.streamtrain.bench.LiveBenchmark;
import io.streamtrain.bench.PredictionOptions;
import io.streamtrain.kafka.TopicCatalog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The picocli flags of {@code bench --predict}, for BenchCommand to mix in ({@code @Mixin}). {@code
 * --json} and {@code --data} are left to the command, which shares them with other modes.
 */
final class PredictionBenchFlags {
  @Option(
      names = "--rate",
      description =
          "Requests per second (default 500; the first rate of --find-max: 2000). With --live,"
              + " the old spelling of --event-rate.")
  Double rate;

  @Option(
      names = "--duration",
      description =
          "Measured seconds per run (default 30; 10 per step of --find-max); fractions allowed:"
              + " --warmup 0 --rate 5000 --duration 0.2 is a burst of 1,000 requests right after"
              + " the predictors are ready.")
  Double durationSeconds;

  @Option(
      names = "--warmup",
      description =
          "Seconds of load before measuring each phase (default 60: the JIT needs about a minute"
              + " on 2 cores).")
  int warmupSeconds = 60;

  @Option(
      names = "--instances",
      description = "Prediction instances sharing images.infer (default 1).")
  int instances = 1;

  @Option(names = "--partitions", description = "Partitions of images.infer (default 4).")
  int partitions = TopicCatalog.DEFAULT_INFER_PARTITIONS;

  @Option(names = "--max-batch", description = "Most requests per forward pass (default 64).")
  int maxBatch = 64;

  @Option(
      names = "--max-wait-ms",
      description = "Longest a request waits for its batch to fill (default 5).")
  int maxWaitMs = 5;

  @Option(names = "--guarantee", description = "at_least_once (default) or exactly_once.")
  String guarantee = "at_least_once";

  @Option(
      names = "--find-max",
      description = "Search the highest rate with p99 under --p99-target-ms and nothing lost.")
  boolean findMax;

  @Option(
      names = "--p99-target-ms",
      description = "Latency bound of a sustained rate (default 50).")
  double p99TargetMs = 50;

  @Option(
      names = "--attempts",
      description = "With --find-max: tries per rate before it counts as failed (default 2).")
  int attempts = 2;

  @Option(
      names = "--train",
      description = "Measure idle, then again with a trainer running in the process.")
  boolean train;

  @Option(
      names = "--event-rate",
      paramLabel = "EVENTS",
      description =
          "Labeled events per second produced open-loop into images.train for a trainer to learn"
              + " live. With --live: the measured load (default 1000). With --predict: measure"
              + " idle, then again while a trainer learns live from them, its versions"
              + " hot-swapped into the instances under test; adds the live side's achieved rate,"
              + " lost events, freshness and the swaps during the measurement. --live-window,"
              + " --live-wait-ms and --live-snapshot-ms shape the trainer.")
  Double eventRate;

  // The old spelling of --event-rate with --predict: hidden, still accepted.
  @Option(names = "--live-rate", hidden = true)
  Double liveRate;

  @Option(
      names = "--cold-starts",
      paramLabel = "N",
      description =
          "After the usual measurement, start N predictors afresh, one after the other, each in its"
              + " own JVM against the warm broker and load generator, and send each the same load"
              + " (--rate, --duration) the moment its /ready turns 200: the first burst a new"
              + " predictor meets (default 0).")
  int coldStarts;

  @Option(
      names = "--train-images",
      description = "Training images the trainer cycles through (default 60000).")
  int trainImages = 60_000;

  @Option(
      names = "--predictor-config",
      paramLabel = "KEY=VALUE",
      description =
          "Streams/client property for the prediction instances (repeatable), e.g."
              + " producer.linger.ms=1.")
  Map<String, String> predictorConfig = new HashMap<>();

  @Option(
      names = "--request-config",
      paramLabel = "KEY=VALUE",
      description = "Producer property for the load generator (repeatable), e.g. linger.ms=1.")
  Map<String, String> requestConfig = new HashMap<>();

  /**
   * Refuses, up front and naming the spelling given, an event rate that is not positive or comes
   * with a mode or flag it cannot go with.
   */
  void checkEventRate(boolean predict, boolean live) {
    if (liveRate != null && (!predict || live)) {
      throw new IllegalArgumentException(
          "--live-rate goes with --predict (serving latency while the trainer learns live, e.g."
              + " bench --predict --rate 500 --event-rate 1000); bench --live takes --event-rate");
    }
    String flag = liveRate != null ? "--live-rate" : "--event-rate";
    Double events = liveRate != null ? liveRate : eventRate;
    if (liveRate != null && eventRate != null) {
      throw new IllegalArgumentException(
          "--live-rate is the old spelling of --event-rate: give --event-rate only");
    }
    if (live && eventRate != null && rate != null) {
      throw new IllegalArgumentException(
          "with --live, --rate is the old spelling of --event-rate: give --event-rate only");
    }
    if (events == null) {
      return;
    }
    if (!predict && !live) {
      throw new IllegalArgumentException(
          flag + " goes with --live or --predict (e.g. bench --live --event-rate 1000)");
    }
    if (!(events > 0)) {
      throw new IllegalArgumentException(
          flag + " must be > 0 labeled events/s (got " + events + ")");
    }
    if (predict && train) {
      throw new IllegalArgumentException(
          flag
              + " and --train each add a trainer: choose one ("
              + flag
              + " learns live events, --train replayed epochs)");
    }
    if (predict && findMax) {
      throw new IllegalArgumentException(
          flag + " measures one fixed --rate while the trainer learns live: drop --find-max");
    }
  }

  /** Labeled events per second of {@code --live}: --event-rate, or --rate as it was spelt. */
  private double liveBenchEventRate() {
    return eventRate != null ? eventRate : rate != null ? rate : 1000;
  }

  private Duration duration(int defaultSeconds) {
    return durationSeconds == null
        ? Duration.ofSeconds(defaultSeconds)
        : Duration.ofMillis(Math.round(1000 * durationSeconds));
  }

  /** {@code bench --live}'s options from the flags it shares: rate, duration, find-max, bound. */
  LiveBenchmark.Options toLiveOptions(
      Path dataDir, Map<String, String> training, boolean boundGiven, int replayEpochs) {
    return new LiveBenchmark.Options(
        liveBenchEventRate(),
        duration(30),
        findMax,
        boundGiven ? p99TargetMs : 5000,
        training,
        java.util.Optional.ofNullable(dataDir),
        replayEpochs);
  }

  /**
   * The options these flags describe; {@code dataDir} is Fashion-MNIST's, null to locate it; the
   * live window flags of {@code training} shape the trainer of {@code --live-rate}.
   */
  PredictionOptions toOptions(Path dataDir, Map<String, String> training) {
    Map<String, String> liveFlags = new HashMap<>();
    for (String flag : List.of("live-window", "live-wait-ms", "live-snapshot-ms")) {
      if (training.get(flag) != null) {
        liveFlags.put(flag, training.get(flag));
      }
    }
    // The served model: without these, bench --predict measured the quickstart MLP whatever
    // --architecture said.
    Map<String, String> modelFlags = new HashMap<>();
    for (String flag : List.of("architecture", "input-shape", "transforms")) {
      if (training.get(flag) != null) {
        modelFlags.put(flag, training.get(flag));
      }
    }
    boolean exactlyOnce = PredictionRun.Options.exactlyOnce(guarantee);
    return new PredictionOptions(
        rate != null ? rate : findMax ? 2000 : 500,
        duration(findMax ? 10 : 30),
        Duration.ofSeconds(warmupSeconds),
        instances,
        partitions,
        maxBatch,
        Duration.ofMillis(maxWaitMs),
        exactlyOnce,
        findMax,
        attempts,
        p99TargetMs,
        train,
        trainImages,
        liveRate != null ? liveRate : eventRate != null ? eventRate : 0,
        liveFlags,
        dataDir,
        predictorConfig,
        requestConfig,
        modelFlags,
        coldStarts);
  }
}
