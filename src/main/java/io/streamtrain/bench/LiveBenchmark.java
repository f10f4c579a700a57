package io.streamtrain.bench;

import io.streamtrain.app.LiveSession;
import io.streamtrain.app.LocalCluster;
import io.streamtrain.data.DatasetLocator;
import io.streamtrain.data.FashionMnist;
import io.streamtrain.data.LabeledDataset;
import io.streamtrain.data.Split;
import io.streamtrain.training.TrainingListener;
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
 * the highest rate whose p99 stays under a bound with nothing lost, one fresh model per trial.
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
      Optional<Path> data) {
    public Options {
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

  private LiveBenchmark() {}

  /** Runs the trial(s); progress on {@code err}; returns every trial's result in order. */
  public static List<LiveSession.Result> run(Options options, PrintStream err) throws Exception {
    Path dir = DatasetLocator.standard().locate(options.data()).dir();
    LabeledDataset train = FashionMnist.load(dir, Split.TRAIN);
    List<LiveSession.Result> results = new ArrayList<>();
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
      LiveSession.Result r = trial(train, rate, options.duration(), options, err);
      results.add(r);
      if (holds(r, options.boundMs())) {
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

  private static LiveSession.Result trial(
      LabeledDataset train, double rate, Duration duration, Options options, PrintStream err)
      throws Exception {
    Map<String, String> flags = new HashMap<>(options.flags());
    flags.putIfAbsent("metrics-every", "10");
    // The predictor shares the process: its snapshot follower must not wait behind the trainer.
    flags.putIfAbsent("training-first", "false");
    err.printf(Locale.ROOT, "live trial at %,.0f events/s for %d s%n", rate, duration.toSeconds());
    try (LocalCluster cluster = LocalCluster.start("bench-live", flags);
        LiveSession session = LiveSession.start(cluster.pipeline(), TrainingListener.NONE)) {
      // Warm-up: a first version to serve; its events are not measured.
      session.produce(train, "warmup", rate, WARMUP, label -> label);
      session.startPredictor(Duration.ofSeconds(60), train);
      long start = System.nanoTime();
      Map<String, Long> events = session.produce(train, "event", rate, duration, label -> label);
      double seconds = (System.nanoTime() - start) / 1e9;
      session.drain(DRAIN);
      LiveSession.Result result = session.result(events, rate, seconds);
      err.println("  " + line(result));
      return result;
    }
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
