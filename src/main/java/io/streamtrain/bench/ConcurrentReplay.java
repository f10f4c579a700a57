package io.streamtrain.bench;

import io.streamtrain.app.Pipeline;
import io.streamtrain.kafka.Replayer;
import io.streamtrain.metrics.TrainingListener;
import io.streamtrain.model.Evaluation;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.snapshots.SnapshotMetrics;
import io.streamtrain.training.Trainer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code bench --live --replay-epochs N}: a replay of the dataset topic into the feed, on a thread
 * of its own, while live events stream. Knows when it started, how fast its copy went, how many of
 * its records the trainer learned by when, and when the trainer finished its last epoch, so that
 * the benchmark can tell the live events that competed with it.
 */
final class ConcurrentReplay implements TrainingListener {
  private final Pipeline pipeline;
  private final int epochs;
  private final AtomicReference<Replayer.Summary> summary = new AtomicReference<>();
  private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
  private volatile long startMs = -1;
  private volatile long trainedMs = -1;
  // Replayed examples in the newest snapshot, and when it came (the trainer's listener thread).
  private volatile long examplesTrained;
  private volatile long examplesTrainedAtMs = -1;
  private Thread thread;

  ConcurrentReplay(Pipeline pipeline, int epochs) {
    this.pipeline = pipeline;
    this.epochs = epochs;
  }

  /** Starts copying epochs 1..N into the feed. */
  void start() {
    startMs = System.currentTimeMillis();
    thread =
        new Thread(
            () -> {
              try {
                summary.set(pipeline.replayer().replay(epochs));
              } catch (RuntimeException e) {
                failure.set(e);
              }
            },
            "bench-replay");
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public void onSnapshot(ModelSnapshot snapshot, long encodeNanos) {
    var m = snapshot.getMetrics();
    long all = m.getOrDefault(Trainer.EXAMPLES_TRAINED, 0.0).longValue();
    long live = m.getOrDefault(SnapshotMetrics.LIVE_EXAMPLES_TRAINED, 0.0).longValue();
    examplesTrained = all - live;
    examplesTrainedAtMs = System.currentTimeMillis();
  }

  @Override
  public void onEpochEnd(int epoch, Evaluation evaluation, ModelSnapshot snapshot) {
    if (epoch >= epochs && trainedMs < 0) {
      trainedMs = System.currentTimeMillis();
    }
  }

  /** Waits (bounded) for the copy into the feed to end; fails when it failed or did not end. */
  void awaitCopied(Duration timeout) throws InterruptedException {
    thread.join(timeout.toMillis());
    if (failure.get() != null) {
      throw new IllegalStateException(
          "The concurrent replay failed: " + failure.get().getMessage(), failure.get());
    }
    if (thread.isAlive()) {
      throw new IllegalStateException(
          "The concurrent replay did not finish copying within " + timeout.toSeconds() + " s");
    }
  }

  /** From its start until the trainer learned its last epoch (to the end while it has not). */
  boolean covers(long atMs) {
    return atMs >= startMs && (trainedMs < 0 || atMs < trainedMs);
  }

  long startMs() {
    return startMs;
  }

  /** -1 until the trainer finished the last epoch. */
  long trainedMs() {
    return trainedMs;
  }

  /** Replayed examples the trainer learned by {@link #examplesTrainedAtMs}. */
  long examplesTrained() {
    return examplesTrained;
  }

  /** When the newest snapshot came; -1 before any. */
  long examplesTrainedAtMs() {
    return examplesTrainedAtMs;
  }

  Replayer.Summary summary() {
    return summary.get();
  }

  int epochs() {
    return epochs;
  }
}
