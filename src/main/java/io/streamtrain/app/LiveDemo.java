package io.streamtrain.app;

import io.streamtrain.config.Settings;
import io.streamtrain.data.DatasetLocator;
import io.streamtrain.data.FashionMnist;
import io.streamtrain.data.LabeledDataset;
import io.streamtrain.data.Split;
import io.streamtrain.kafka.EmbeddedKafka;
import io.streamtrain.metrics.TrainingListener;
import io.streamtrain.report.LiveCurves;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code demo --live}: online learning seen live, in one process. Fashion-MNIST's training images
 * stream as labeled events at a fixed rate into a fresh model; halfway the world changes (every
 * class's label moves to another class, a fixed permutation: concept drift). Every few seconds one
 * line: events so far, the served version, freshness of recent events, prequential accuracy.
 */
public final class LiveDemo {
  /** Where each label goes after the drift: every class moves, none stays. */
  public static int drifted(int label) {
    return (label + 3) % 10;
  }

  /**
   * @param rate events per second
   * @param duration the whole stream; the drift comes at its half
   * @param every how often a progress line is printed
   * @param report where to write the live learning curve, or null
   */
  public record Options(
      double rate,
      Duration duration,
      Duration every,
      Optional<Path> data,
      Path report,
      Map<String, String> flags) {
    public Options {
      if (!(rate > 0)) {
        throw new IllegalArgumentException("--rate must be positive (got " + rate + ")");
      }
      if (duration.toSeconds() < 2) {
        throw new IllegalArgumentException(
            "--duration must be at least 2 s (got " + duration + ")");
      }
    }
  }

  private LiveDemo() {}

  /** Runs the demo, printing progress on {@code out}; returns the curve's points. */
  public static List<LiveCurves.Point> run(Options options, PrintStream out, PrintStream err)
      throws Exception {
    Path dir = DatasetLocator.standard().locate(options.data()).dir();
    LabeledDataset train = FashionMnist.load(dir, Split.TRAIN);
    List<LiveCurves.Point> points = new ArrayList<>();
    Map<String, String> flags = new HashMap<>(options.flags());
    flags.putIfAbsent("metrics-every", "5");
    // The predictor shares the process: its snapshot follower must not wait behind the trainer.
    flags.putIfAbsent("training-first", "false");
    try (LocalCluster cluster = LocalCluster.start("demo-live", flags)) {
      Pipeline pipeline = cluster.pipeline();
      Settings settings = cluster.settings();
      EmbeddedKafka broker = cluster.broker();
      err.printf(
          Locale.ROOT,
          "Embedded Kafka on %s; streaming %,.0f labeled events/s for %d s, labels permuted at"
              + " half time%n",
          broker.bootstrap(),
          options.rate(),
          options.duration().toSeconds());
      Duration half = options.duration().dividedBy(2);
      AtomicLong driftAt = new AtomicLong(-1);
      long start = System.currentTimeMillis();
      try (LiveSession session = LiveSession.start(pipeline, TrainingListener.NONE)) {
        CompletableFuture<Void> stream =
            CompletableFuture.runAsync(
                () -> {
                  session.produce(train, "before", options.rate(), half, l -> l);
                  driftAt.set(System.currentTimeMillis());
                  session.produce(train, "after", options.rate(), half, LiveDemo::drifted);
                });
        session.startPredictor(Duration.ofSeconds(60), train);
        out.println(
            "    time   events  version  fresh p50  fresh p99  prequential accuracy   (freshness of"
                + " the events first served in the interval)");
        long every = options.every().toMillis();
        long last = start;
        while (true) {
          boolean done;
          try {
            stream.get(every, TimeUnit.MILLISECONDS);
            done = true;
          } catch (TimeoutException e) {
            done = false;
          }
          long now = System.currentTimeMillis();
          LiveSession.Progress p = session.progress(last, now);
          points.add(
              new LiveCurves.Point(
                  (now - start) / 1000.0,
                  p.produced(),
                  p.servedVersion(),
                  p.prequentialAccuracy(),
                  p.freshnessP50Ms(),
                  p.freshnessP99Ms()));
          out.printf(
              Locale.ROOT,
              "%7.1fs %8d %8d %8.0fms %8.0fms  %5.1f %%%s%n",
              (now - start) / 1000.0,
              p.produced(),
              p.servedVersion(),
              p.freshnessP50Ms(),
              p.freshnessP99Ms(),
              100 * p.prequentialAccuracy(),
              driftAt.get() > last && driftAt.get() <= now ? "  <- labels permuted" : "");
          last = now;
          if (done) {
            break;
          }
        }
      }
      if (options.report() != null) {
        LiveCurves.write(
            options.report(),
            "streamtrain demo --live: " + settings.modelName(),
            points,
            driftAt.get() < 0 ? -1 : (driftAt.get() - start) / 1000.0);
        err.println(
            "Live curves: "
                + options.report().resolve(LiveCurves.HTML)
                + " and "
                + options.report().resolve(LiveCurves.CSV));
      }
    }
    return points;
  }
}
