package io.streamtrain.bench;

import io.streamtrain.app.Errors;
import io.streamtrain.app.LiveSession;
import io.streamtrain.app.Pipeline;
import io.streamtrain.data.LabeledDataset;
import io.streamtrain.metrics.TrainingListener;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code bench --predict --event-rate}'s trainer: the {@link LiveSession} of {@code bench --live}
 * (trainer following images.train, open-loop producer of labeled events) on the benchmark's
 * pipeline, with freshness measured on the first prediction instance under test instead of a
 * predictor of its own. The producer warms up until a first live version reached that instance,
 * then produces the measured events for a window that covers the serving phase's warm-up and trial.
 */
final class LiveTraining implements AutoCloseable {
  // Covers the gap between the end of the warm-up trial and the start of the measured one.
  private static final Duration SLACK = Duration.ofSeconds(5);
  private static final Duration FIRST_VERSION = Duration.ofSeconds(90);
  private static final Duration DRAIN = Duration.ofSeconds(30);
  private static final Duration TAIL_TRIAL = Duration.ofSeconds(1);

  /**
   * The live side of one run.
   *
   * @param result freshness, achieved rate and lost events of the measured events
   * @param swapsDuringMeasurement hot swaps in the instances during the measured trial
   * @param covered the producer was still producing when the measured trial ended
   */
  record Side(LiveSession.Result result, long swapsDuringMeasurement, boolean covered) {}

  private final LiveSession session;
  private final PredictionInstances instances;
  private final LabeledDataset train;
  private final double rate;
  private final Duration window;
  private final CountDownLatch measuring = new CountDownLatch(1);
  private final CountDownLatch produced = new CountDownLatch(1);
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private volatile Map<String, Long> events;
  private volatile double seconds;

  private LiveTraining(
      LiveSession session,
      PredictionInstances instances,
      LabeledDataset train,
      double rate,
      Duration window) {
    this.session = session;
    this.instances = instances;
    this.train = train;
    this.rate = rate;
    this.window = window;
  }

  /**
   * Starts the live trainer and producer, and returns once the measured events are being produced
   * and the instances have a live version to swap in.
   */
  static LiveTraining start(
      Pipeline pipeline, PredictionOptions options, PredictionInstances instances, PrintStream err)
      throws Exception {
    LabeledDataset train = BackgroundTrainer.trainingImages(options.dataDir());
    LiveSession session = LiveSession.start(pipeline, TrainingListener.NONE);
    session.measureOn(instances.first());
    LiveTraining live =
        new LiveTraining(
            session,
            instances,
            train,
            options.liveRate(),
            options.warmup().plus(options.duration()).plus(SLACK));
    Thread producer = new Thread(live::produce, "bench-live-producer");
    producer.setDaemon(true);
    producer.start();
    try {
      if (!live.measuring.await(FIRST_VERSION.plusSeconds(10).toSeconds(), TimeUnit.SECONDS)) {
        throw new IllegalStateException("The live producer did not start measuring");
      }
      live.throwIfFailed();
    } catch (Exception | Error e) {
      live.close();
      throw e;
    }
    err.printf(
        Locale.ROOT,
        "Trainer learning live: %,.0f labeled events/s into images.train for %d s, its versions"
            + " hot-swapped into the instances%n",
        live.rate,
        live.window.toSeconds());
    return live;
  }

  private void produce() {
    try {
      // Warm-up events (not measured) until the trainer's first live version reached instance 0.
      long deadline = System.nanoTime() + FIRST_VERSION.toNanos();
      for (int chunk = 1; instances.first().newestLoadedVersion() <= 0; chunk++) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "The live trainer published no version within "
                  + FIRST_VERSION.toSeconds()
                  + " s of learning live events");
        }
        session.produce(train, "warmup" + chunk, rate, Duration.ofSeconds(1), label -> label);
      }
      measuring.countDown();
      long start = System.nanoTime();
      events = session.produce(train, "event", rate, window, label -> label);
      seconds = (System.nanoTime() - start) / 1e9;
    } catch (Throwable e) {
      failure.compareAndSet(null, e);
    } finally {
      measuring.countDown();
      produced.countDown();
    }
  }

  /** Whether the producer is still producing the measured events. */
  boolean producing() {
    return produced.getCount() > 0;
  }

  void throwIfFailed() {
    Throwable e = failure.get();
    if (e != null) {
      throw new IllegalStateException("Learning live failed: " + Errors.oneLine(e), e);
    }
  }

  /**
   * Keeps the instances serving (a version starts serving when a batch first uses it) until the
   * producer is done and the served version learned every measured event, or {@link #DRAIN} passed;
   * then the live side's figures.
   */
  Side finish(LoadGenerator load, double requestRate, Trial measured, boolean covered)
      throws Exception {
    while (producing()) {
      load.trial("tail", requestRate, TAIL_TRIAL);
      throwIfFailed();
    }
    throwIfFailed();
    long deadline = System.nanoTime() + DRAIN.toNanos();
    LiveSession.Result result = session.result(events, rate, seconds);
    while (result.lost() > 0 && System.nanoTime() < deadline) {
      load.trial("tail", requestRate, TAIL_TRIAL);
      result = session.result(events, rate, seconds);
    }
    return new Side(result, measured.modelSwaps(), covered);
  }

  @Override
  public void close() {
    session.close();
  }
}
