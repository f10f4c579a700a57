package io.streamtrain.bench;

import io.streamtrain.app.Pipeline;
import io.streamtrain.kafka.Replayer;
import io.streamtrain.model.Evaluation;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.training.TrainingListener;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code bench --live --replay-epochs N}: a replay of the dataset topic into the feed, on a thread
 * of its own, while live events stream. Knows when it started, when its copy was done and when the
 * trainer finished its last epoch, so that the benchmark can tell the live events that competed
 * with it.
 */
final class ConcurrentReplay implements TrainingListener {
  private final Pipeline pipeline;
  private final int epochs;
  private final AtomicReference<Replayer.Summary> summary = new AtomicReference<>();
  private final AtomicReference<Exception> failure = new AtomicReference<>();
  private volatile long startMs = -1;
  private volatile long copiedMs = -1;
  private volatile long trainedMs = -1;
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
                copiedMs = System.currentTimeMillis();
              } catch (RuntimeException e) {
                failure.set(e);
              }
            },
            "bench-replay");
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public void onEpochEnd(int epoch, Evaluation evaluation, ModelSnapshot snapshot) {
    if (epoch >= epochs && trainedMs < 0) {
      trainedMs = System.currentTimeMillis();
    }
  }

  /** Waits (bounded) until the trainer finished the replay's last epoch; whether it did. */
  boolean awaitTrained(long timeoutMs) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (trainedMs < 0 && failure.get() == null && System.currentTimeMillis() < deadline) {
      Thread.sleep(100); // a bounded wait on the trainer's progress, not a synchronisation
    }
    if (failure.get() != null) {
      throw new IllegalStateException(
          "The concurrent replay failed: " + failure.get().getMessage(), failure.get());
    }
    return trainedMs >= 0;
  }

  /** Until the copy is done or the trainer learned the last epoch, whichever is later. */
  boolean covers(long atMs) {
    long end = trainedMs >= 0 ? trainedMs : Long.MAX_VALUE;
    return atMs >= startMs && atMs < end;
  }

  long startMs() {
    return startMs;
  }

  /** -1 while the copy runs. */
  long copiedMs() {
    return copiedMs;
  }

  /** -1 until the trainer finished the last epoch. */
  long trainedMs() {
    return trainedMs;
  }

  Replayer.Summary summary() {
    return summary.get();
  }

  int epochs() {
    return epochs;
  }
}
