package io.streamtrain.bench;

import io.streamtrain.app.DatasetPublisher;
import io.streamtrain.app.LiveSession;
import io.streamtrain.app.LocalCluster;
import io.streamtrain.data.DatasetLocator;
import io.streamtrain.data.FashionMnist;
import io.streamtrain.data.LabeledDataset;
import io.streamtrain.data.Split;
import io.streamtrain.metrics.TrainingListener;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code bench --live}: freshness of online learning, measured end to end in one process on an
 * embedded broker. An open-loop producer sends labeled Fashion-MNIST training images to the dataset
 * topic at a fixed rate; the trainer follows it (live tail, live windows); a predictor serves and
 * hot-swaps the versions. For every event produced after a warm-up: the time from its production to
 * the moment the predictor started serving a version that learned it. {@code --find-max} looks for
 * the highest rate whose p99 stays under a bound with nothing lost, one fresh model per trial. With
 * {@code --replay-epochs N} the training set is on the dataset topic first and a replay of N epochs
 * of it starts with the measured events: their freshness while the trainer also works through the
 * replay, and which of them fell inside it.
 */
public final class LiveBenchmark {
  /**
   * @param rate events per second (the first trial's with {@code findMax})
   * @param duration how long each trial produces, after its warm-up
   * @param findMax search the highest rate whose p99 freshness stays under {@code boundMs}
   * @param flags training settings by flag name (preset, live windows ...)
   */
  public record Options(
      double rate,
      Duration duration,
      boolean findMax,
      double boundMs,
      Map<String, String> flags,
      Optional<Path> data,
      int replayEpochs) {
    public Options(
        double rate,
        Duration duration,
        boolean findMax,
        double boundMs,
        Map<String, String> flags,
        Optional<Path> data) {
      this(rate, duration, findMax, boundMs, flags, data, 0);
    }

    public Options {
      if (replayEpochs < 0) {
        throw new IllegalArgumentException(
            "--replay-epochs must be 0 (no replay) or more (got " + replayEpochs + ")");
      }
      if (!(rate > 0)) {
        throw new IllegalArgumentException("--rate must be positive (got " + rate + ")");
      }
      if (duration.isNegative() || duration.isZero()) {
        throw new IllegalArgumentException("--duration must be positive (got " + duration + ")");
      }
    }
  }

  private static final Duration WARMUP = Duration.ofSeconds(3);
  private static final Duration DRAIN = Duration.ofSeconds(30);

  /**
   * Above this rate a first trial in a cold JVM measures the JIT compiler: it takes a core for tens
   * of seconds, the trainer falls behind and the backlog outlasts the trial. A throwaway trial at
   * this rate warms the JVM first, as JMH's warm-up iterations do.
   */
  static final double COLD_JVM_RATE = 2_000;

  private static final Duration JVM_WARMUP = Duration.ofSeconds(20);

  /** How long a trial waits, after its events, for the replay's copy into the feed to end. */
  private static final Duration REPLAY_COPY_WAIT = Duration.ofMinutes(2);

  private LiveBenchmark() {}

  /**
   * The replay a trial ran next to its live events: its size; its copy into the feed (seconds,
   * records/s); the replayed examples the trainer learned from the replay's start to its newest
   * snapshot of the trial, and at what rate; when it finished the last epoch (NaN when not within
   * the trial); the events produced from the replay's start until then (all of them while it runs
   * on) with their freshness, and those after.
   */
  public record Replay(
      int epochs,
      long records,
      double copySeconds,
      double copyRecordsPerSecond,
      long trainedRecords,
      double trainedRecordsPerSecond,
      double trainedSeconds,
      long eventsInside,
      long eventsAfter,
      double[] insideFreshnessMs) {}

  /**
   * One trial: the live figures; p50, p99 and max of the time from an event's production to its
   * append to the feed by the live tail; and the concurrent replay's figures when there was one.
   */
  /**
   * @param feedDelayMs p50, p99, max of production → the live lane
   * @param learnedMs p50, p99, max of production → the trainer's first snapshot that learned it
   */
  public record Trial(
      LiveSession.Result result,
      double[] feedDelayMs,
      double[] learnedMs,
      Optional<Replay> replay) {}

  /** Runs the trial(s); progress on {@code err}; returns every trial's result in order. */
  public static List<Trial> run(Options options, PrintStream err) throws Exception {
    Path dir = DatasetLocator.standard().locate(options.data()).dir();
    LabeledDataset train = FashionMnist.load(dir, Split.TRAIN);
    List<Trial> results = new ArrayList<>();
    if (options.rate() > COLD_JVM_RATE) {
      err.printf(Locale.ROOT, "JVM warm-up (not measured):%n");
      trial(train, COLD_JVM_RATE, JVM_WARMUP, options, err);
    }
    if (!options.findMax()) {
      results.add(trial(train, options.rate(), options.duration(), options, err));
      return results;
    }
    double good = 0;
    double bad = Double.NaN;
    double rate = options.rate();
    // Double while the bound holds, then bisect three times between the last good and first bad.
    for (int i = 0; i < 12 && (Double.isNaN(bad) || bad - good > good * 0.1); i++) {
      Trial t = trial(train, rate, options.duration(), options, err);
      results.add(t);
      if (holds(t.result(), options.boundMs())) {
        good = rate;
      } else {
        bad = rate;
      }
      rate = Double.isNaN(bad) ? rate * 2 : (good + bad) / 2;
      if (good == 0 && !Double.isNaN(bad)) {
        rate = bad / 2;
        if (rate < 1) {
          break;
        }
      }
    }
    return results;
  }

  /** The bound holds: nothing lost, the rate achieved, p99 under the bound. */
  public static boolean holds(LiveSession.Result r, double boundMs) {
    return r.lost() == 0 && r.achievedRate() >= 0.95 * r.rate() && r.freshnessMs()[2] <= boundMs;
  }

  private static Trial trial(
      LabeledDataset train, double rate, Duration duration, Options options, PrintStream err)
      throws Exception {
    Map<String, String> flags = new HashMap<>(options.flags());
    flags.putIfAbsent("metrics-every", "10");
    // The predictor shares the process: its snapshot follower must not wait behind the trainer.
    flags.putIfAbsent("training-first", "false");
    err.printf(Locale.ROOT, "live trial at %,.0f events/s for %d s%n", rate, duration.toSeconds());
    try (LocalCluster cluster = LocalCluster.start("bench-live", flags)) {
      ConcurrentReplay replay = null;
      if (options.replayEpochs() > 0) {
        // Before the trainer starts: its live tail begins at the dataset's end, after these.
        err.printf(Locale.ROOT, "  publishing the %,d training images to replay%n", train.count());
        DatasetPublisher.publish(
            cluster.pipeline(),
            cluster.pipeline().names().imagesTrain(),
            train,
            train.count(),
            n -> {});
        replay = new ConcurrentReplay(cluster.pipeline(), options.replayEpochs());
      }
      try (LiveSession session =
          LiveSession.start(cluster.pipeline(), replay == null ? TrainingListener.NONE : replay)) {
        // Warm-up: a first version to serve; its events are not measured.
        session.produce(train, "warmup", rate, WARMUP, label -> label);
        session.startPredictor(Duration.ofSeconds(60), train);
        if (replay != null) {
          err.printf(Locale.ROOT, "  replaying %d epochs alongside%n", replay.epochs());
          replay.start();
        }
        long start = System.nanoTime();
        Map<String, Long> events = session.produce(train, "event", rate, duration, label -> label);
        double seconds = (System.nanoTime() - start) / 1e9;
        session.drain(DRAIN);
        Optional<Replay> replayed = Optional.empty();
        if (replay != null) {
          replay.awaitCopied(REPLAY_COPY_WAIT);
          replayed = Optional.of(replayFigures(replay, session, events));
        }
        Trial trial =
            new Trial(
                session.result(events, rate, seconds),
                summary(session.feedDelays(events)),
                summary(session.learnedDelays(events)),
                replayed);
        err.println("  " + line(trial));
        return trial;
      }
    }
  }

  /** p50, p99 and max of the figures that are not NaN. */
  private static double[] summary(double[] figures) {
    double[] sorted =
        java.util.Arrays.stream(figures).filter(x -> !Double.isNaN(x)).sorted().toArray();
    return new double[] {
      LiveSession.percentile(sorted, 50),
      LiveSession.percentile(sorted, 99),
      sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1]
    };
  }

  private static Replay replayFigures(
      ConcurrentReplay replay, LiveSession session, Map<String, Long> events) {
    Map<String, Long> inside = new HashMap<>();
    events.forEach(
        (id, at) -> {
          if (replay.covers(at)) {
            inside.put(id, at);
          }
        });
    double[] f = session.freshness(inside);
    double[] served = java.util.Arrays.stream(f).filter(x -> !Double.isNaN(x)).sorted().toArray();
    var summary = replay.summary();
    double trainingSeconds = (replay.examplesTrainedAtMs() - replay.startMs()) / 1e3;
    return new Replay(
        replay.epochs(),
        summary == null ? 0 : summary.records(),
        summary == null ? Double.NaN : summary.seconds(),
        summary == null ? Double.NaN : summary.recordsPerSecond(),
        replay.examplesTrained(),
        trainingSeconds > 0 ? replay.examplesTrained() / trainingSeconds : Double.NaN,
        replay.trainedMs() < 0 ? Double.NaN : (replay.trainedMs() - replay.startMs()) / 1e3,
        inside.size(),
        events.size() - inside.size(),
        new double[] {
          LiveSession.percentile(served, 50),
          LiveSession.percentile(served, 99),
          served.length == 0 ? Double.NaN : served[served.length - 1]
        });
  }

  /** One human line of a trial, and of its replay. */
  public static String line(Trial t) {
    String live =
        line(t.result())
            + String.format(
                Locale.ROOT,
                "  feed delay p50 %.0f ms p99 %.0f ms max %.0f ms"
                    + "  learned (snapshot made) p50 %.0f ms p99 %.0f ms max %.0f ms",
                t.feedDelayMs()[0],
                t.feedDelayMs()[1],
                t.feedDelayMs()[2],
                t.learnedMs()[0],
                t.learnedMs()[1],
                t.learnedMs()[2]);
    return t.replay()
        .map(
            r ->
                live
                    + String.format(
                        Locale.ROOT,
                        "%n  replay of %d epochs (%,d records): copied in %.1f s (%,.0f records/s);"
                            + " trainer learned %,d of them by the end (%,.0f records/s)%s;"
                            + " %d events inside it: freshness p50 %.0f ms p99 %.0f ms max %.0f ms;"
                            + " %d after it",
                        r.epochs(),
                        r.records(),
                        r.copySeconds(),
                        r.copyRecordsPerSecond(),
                        r.trainedRecords(),
                        r.trainedRecordsPerSecond(),
                        Double.isNaN(r.trainedSeconds())
                            ? ", still training"
                            : String.format(Locale.ROOT, ", all in %.1f s", r.trainedSeconds()),
                        r.eventsInside(),
                        r.insideFreshnessMs()[0],
                        r.insideFreshnessMs()[1],
                        r.insideFreshnessMs()[2],
                        r.eventsAfter()))
        .orElse(live);
  }

  /** The JSON of one trial: {@link #json(LiveSession.Result)}'s, plus "replay" when one ran. */
  public static String json(Trial t) {
    String result = json(t.result());
    String live =
        result.substring(0, result.length() - 1)
            + String.format(
                Locale.ROOT,
                ",\"feedDelayMs\":{\"p50\":%s,\"p99\":%s,\"max\":%s}"
                    + ",\"learnedMs\":{\"p50\":%s,\"p99\":%s,\"max\":%s}}",
                number(t.feedDelayMs()[0]),
                number(t.feedDelayMs()[1]),
                number(t.feedDelayMs()[2]),
                number(t.learnedMs()[0]),
                number(t.learnedMs()[1]),
                number(t.learnedMs()[2]));
    return t.replay()
        .map(
            r ->
                live.substring(0, live.length() - 1)
                    + String.format(
                        Locale.ROOT,
                        ",\"replay\":{\"epochs\":%d,\"records\":%d,\"copySeconds\":%s,"
                            + "\"copyRecordsPerSecond\":%s,\"trainedRecords\":%d,"
                            + "\"trainedRecordsPerSecond\":%s,\"trainedSeconds\":%s,"
                            + "\"eventsInside\":%d,\"eventsAfter\":%d,"
                            + "\"insideFreshnessMs\":{\"p50\":%s,\"p99\":%s,\"max\":%s}}}",
                        r.epochs(),
                        r.records(),
                        number(r.copySeconds()),
                        number(r.copyRecordsPerSecond()),
                        r.trainedRecords(),
                        number(r.trainedRecordsPerSecond()),
                        number(r.trainedSeconds()),
                        r.eventsInside(),
                        r.eventsAfter(),
                        number(r.insideFreshnessMs()[0]),
                        number(r.insideFreshnessMs()[1]),
                        number(r.insideFreshnessMs()[2])))
        .orElse(live);
  }

  /** One human line of a trial. */
  public static String line(LiveSession.Result r) {
    double[] f = r.freshnessMs();
    return String.format(
        Locale.ROOT,
        "rate %,.0f/s achieved %,.0f/s  freshness p50 %.0f ms p90 %.0f ms p99 %.0f ms max %.0f ms"
            + "  lost %d  prequential accuracy %.1f %%  %d snapshots, %d swaps",
        r.rate(),
        r.achievedRate(),
        f[0],
        f[1],
        f[2],
        f[3],
        r.lost(),
        100 * r.prequentialAccuracy(),
        r.snapshots(),
        r.swaps());
  }

  /** The JSON of one trial: rate, achievedRate, events, lost, freshnessMs{p50,p90,p99,max} ... */
  public static String json(LiveSession.Result r) {
    double[] f = r.freshnessMs();
    return String.format(
        Locale.ROOT,
        "{\"rate\":%s,\"achievedRate\":%s,\"events\":%d,\"lost\":%d,\"deadLetters\":%d,"
            + "\"freshnessMs\":{\"p50\":%s,\"p90\":%s,\"p99\":%s,\"max\":%s},"
            + "\"prequentialAccuracy\":%s,\"snapshots\":%d,\"swaps\":%d}",
        number(r.rate()),
        number(r.achievedRate()),
        r.produced(),
        r.lost(),
        r.deadLetters(),
        number(f[0]),
        number(f[1]),
        number(f[2]),
        number(f[3]),
        number(r.prequentialAccuracy()),
        r.snapshots(),
        r.swaps());
  }

  /** A JSON number, or null for NaN (nothing measured). */
  private static String number(double value) {
    return Double.isNaN(value) ? "null" : String.format(Locale.ROOT, "%.4f", value);
  }
}
