package io.streamtrain.metrics;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.streamtrain.model.Evaluation;
import io.streamtrain.schema.MetricKind;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.NamedTensor;
import io.streamtrain.schema.TrainingMetric;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;

/**
 * Turns what the trainer reports in-process into Prometheus meters: loss, prequential and test
 * accuracy, steps/s and images/s, snapshot version, age and size, and the dead-letter, bad-step and
 * rollback counts the trainer keeps in each snapshot's metrics map. Every call is passed on to the
 * {@code next} listener (the progress printer), so it can wrap the listener a command has.
 *
 * <p>Meter names, as Prometheus shows them (each with the registry's common tags):
 *
 * <ul>
 *   <li>{@code streamtrain_training_batch_loss} loss of the last reported batch (every 100th)
 *   <li>{@code streamtrain_training_prequential_loss}, {@code _prequential_accuracy} mean loss and
 *       test-then-train accuracy over the last metrics window ({@link #onMetric})
 *   <li>{@code streamtrain_training_test_accuracy}, {@code _test_loss} after the last epoch
 *   <li>{@code streamtrain_training_epoch}, {@code streamtrain_training_steps_per_second}, {@code
 *       streamtrain_training_images_per_second}, {@code streamtrain_training_images_total}
 *   <li>{@code streamtrain_snapshot_version}, {@code streamtrain_snapshot_age_seconds}, {@code
 *       streamtrain_snapshot_size_bytes}, {@code streamtrain_snapshots_total}, {@code
 *       streamtrain_snapshot_encode_seconds}
 *   <li>{@code streamtrain_dead_letters_total{kind=...}}, {@code
 *       streamtrain_training_bad_steps_total}, {@code streamtrain_training_rollbacks_total}
 * </ul>
 */
public final class TrainingMetricsListener implements TrainingListener {
  // The trainer reports batch progress every 100 batches of an epoch (TrainingListener's contract).
  private static final int BATCHES_PER_PROGRESS = 100;

  private final MeterRegistry registry;
  private final TrainingListener next;
  private final Clock clock;

  private final AtomicDouble batchLoss = new AtomicDouble();
  private final AtomicDouble prequentialLoss = new AtomicDouble();
  private final AtomicDouble prequentialAccuracy = new AtomicDouble();
  private final AtomicDouble testAccuracy = new AtomicDouble();
  private final AtomicDouble testLoss = new AtomicDouble();
  private final AtomicDouble stepsPerSecond = new AtomicDouble();
  private final AtomicDouble imagesPerSecond = new AtomicDouble();
  private final AtomicLong epoch = new AtomicLong();
  private final AtomicLong snapshotVersion = new AtomicLong(-1);
  private final AtomicLong snapshotCreatedMillis = new AtomicLong(-1);
  private final AtomicLong snapshotBytes = new AtomicLong();
  private final Map<String, AtomicDouble> deadLetters = new ConcurrentHashMap<>();
  private final AtomicDouble badSteps = new AtomicDouble(0);
  private final AtomicDouble rollbacksInSnapshots = new AtomicDouble(0);
  private final DoubleAdder rollbackEvents = new DoubleAdder();
  private final Counter snapshots;
  private final Counter images;
  private final Timer snapshotEncode;

  // Where the last progress report was, for the rates.
  private int progressEpoch = -1;
  private long progressExamples;
  private long progressNanos;

  public TrainingMetricsListener(MeterRegistry registry) {
    this(registry, TrainingListener.NONE);
  }

  public TrainingMetricsListener(MeterRegistry registry, TrainingListener next) {
    this.registry = registry;
    this.next = next;
    this.clock = registry.config().clock();
    gauge("streamtrain.training.batch.loss", "Loss of the last reported mini-batch", batchLoss);
    gauge(
        "streamtrain.training.prequential.loss",
        "Mean loss over the last metrics window, each batch scored before training on it",
        prequentialLoss);
    gauge(
        "streamtrain.training.prequential.accuracy",
        "Test-then-train accuracy over the last metrics window (fraction)",
        prequentialAccuracy);
    gauge(
        "streamtrain.training.test.accuracy",
        "Test-set accuracy after the last completed epoch (fraction)",
        testAccuracy);
    gauge(
        "streamtrain.training.test.loss",
        "Average test-set loss after the last completed epoch",
        testLoss);
    gauge(
        "streamtrain.training.steps.per.second",
        "Optimizer steps per second over the last 100 batches",
        stepsPerSecond);
    gauge(
        "streamtrain.training.images.per.second",
        "Training examples per second over the last 100 batches",
        imagesPerSecond);
    Gauge.builder("streamtrain.training.epoch", epoch, AtomicLong::get)
        .description("Epoch being trained")
        .register(registry);
    Gauge.builder("streamtrain.snapshot.version", snapshotVersion, AtomicLong::get)
        .description("Version (optimizer step) of the last snapshot published or resumed from")
        .register(registry);
    TimeGauge.builder(
            "streamtrain.snapshot.age",
            snapshotCreatedMillis,
            TimeUnit.MILLISECONDS,
            created -> created.get() < 0 ? Double.NaN : clock.wallTime() - created.get())
        .description("Time since the last snapshot was created")
        .register(registry);
    Gauge.builder("streamtrain.snapshot.size", snapshotBytes, AtomicLong::get)
        .baseUnit("bytes")
        .description("Tensor bytes of the last snapshot")
        .register(registry);
    snapshots =
        Meters.counter(registry, "streamtrain.snapshots", "Snapshots published by this trainer");
    snapshotEncode =
        Meters.timer(
            registry,
            "streamtrain.snapshot.encode",
            "Time to copy the state dict into a snapshot record");
    images =
        Meters.counter(
            registry,
            "streamtrain.training.images",
            "Examples trained on, from the prequential metrics");
    FunctionCounter.builder("streamtrain.training.bad.steps", badSteps, AtomicDouble::get)
        .description("Steps skipped for a non-finite loss or gradient (as of the last snapshot)")
        .register(registry);
    FunctionCounter.builder(
            "streamtrain.training.rollbacks",
            this,
            l -> Math.max(l.rollbacksInSnapshots.get(), l.rollbackEvents.sum()))
        .description("Rollbacks to the last good snapshot")
        .register(registry);
  }

  private void gauge(String name, String description, AtomicDouble value) {
    Gauge.builder(name, value, AtomicDouble::get).description(description).register(registry);
  }

  @Override
  public void onStart(ModelSnapshot snapshot) {
    if (snapshot != null) {
      recordSnapshot(snapshot);
    }
    next.onStart(snapshot);
  }

  @Override
  public void onBatchProgress(int epoch, long examplesInEpoch, double loss) {
    batchLoss.set(loss);
    this.epoch.set(epoch);
    long now = clock.monotonicTime();
    synchronized (this) {
      if (epoch == progressEpoch && examplesInEpoch > progressExamples) {
        double seconds = (now - progressNanos) / 1e9;
        if (seconds > 0) {
          imagesPerSecond.set((examplesInEpoch - progressExamples) / seconds);
          stepsPerSecond.set(BATCHES_PER_PROGRESS / seconds);
        }
      }
      progressEpoch = epoch;
      progressExamples = examplesInEpoch;
      progressNanos = now;
    }
    next.onBatchProgress(epoch, examplesInEpoch, loss);
  }

  @Override
  public void onSnapshot(ModelSnapshot snapshot, long encodeNanos) {
    recordSnapshot(snapshot);
    snapshots.increment();
    snapshotEncode.record(encodeNanos, TimeUnit.NANOSECONDS);
    next.onSnapshot(snapshot, encodeNanos);
  }

  @Override
  public void onEpochEnd(int epoch, Evaluation evaluation, ModelSnapshot snapshot) {
    if (evaluation != null) {
      testAccuracy.set(evaluation.accuracy());
      testLoss.set(evaluation.averageLoss());
    }
    if (snapshot != null) {
      recordSnapshot(snapshot);
    }
    next.onEpochEnd(epoch, evaluation, snapshot);
  }

  /**
   * A record the trainer published to {@code training.metrics}: prequential loss and accuracy,
   * examples trained, rollbacks.
   */
  @Override
  public void onMetric(TrainingMetric metric) {
    if (metric.getKind() == MetricKind.PREQUENTIAL) {
      if (metric.getLoss() != null) {
        prequentialLoss.set(metric.getLoss());
      }
      if (metric.getAccuracy() != null) {
        prequentialAccuracy.set(metric.getAccuracy());
      }
      if (metric.getCount() != null) {
        images.increment(metric.getCount());
      }
    } else if (metric.getKind() == MetricKind.ROLLBACK) {
      rollbackEvents.add(1);
    }
    next.onMetric(metric);
  }

  private void recordSnapshot(ModelSnapshot snapshot) {
    snapshotVersion.set(snapshot.getVersion());
    snapshotCreatedMillis.set(snapshot.getCreatedAt().toEpochMilli());
    long bytes = 0;
    for (NamedTensor t : snapshot.getTensors()) {
      bytes += t.getData().remaining();
    }
    if (snapshot.getManifest() != null) {
      bytes = snapshot.getManifest().getPayloadBytes(); // streamed as chunks: no tensors here
    }
    snapshotBytes.set(bytes);
    Map<String, Double> counts = snapshot.getMetrics();
    counts.forEach(
        (name, value) -> {
          if (name.startsWith("deadLetters.")) {
            deadLetter(name.substring("deadLetters.".length())).set(value);
          }
        });
    Double bad = counts.get("badSteps");
    if (bad != null) {
      badSteps.set(bad);
    }
    Double rollbacks = counts.get("rollbacks");
    if (rollbacks != null) {
      rollbacksInSnapshots.set(rollbacks);
    }
  }

  private AtomicDouble deadLetter(String kind) {
    return deadLetters.computeIfAbsent(
        kind,
        k -> {
          AtomicDouble count = new AtomicDouble(0);
          FunctionCounter.builder("streamtrain.dead.letters", count, AtomicDouble::get)
              .tag("kind", k)
              .description("Records sent to the dead-letter topic, per kind of fault")
              .register(registry);
          return count;
        });
  }

  /** A double that gauges read while the trainer's thread writes. NaN until first set. */
  static final class AtomicDouble {
    private final AtomicLong bits;

    AtomicDouble() {
      this(Double.NaN);
    }

    AtomicDouble(double initial) {
      bits = new AtomicLong(Double.doubleToRawLongBits(initial));
    }

    double get() {
      return Double.longBitsToDouble(bits.get());
    }

    void set(double value) {
      bits.set(Double.doubleToRawLongBits(value));
    }
  }
}
