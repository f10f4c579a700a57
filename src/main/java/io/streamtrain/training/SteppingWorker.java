package io.streamtrain.training;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training thread of one trainer: steps through the batches the stream thread submits, in
 * order, so that Kafka I/O on the stream thread overlaps the arithmetic. A failure is kept for the
 * stream thread to raise ({@link #failure}); a requested stop lets the thread finish with a last
 * action (the final snapshot) before it ends.
 */
final class SteppingWorker {
  // Logged under the trainer's name: what operators filter on.
  private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);
  private static final long JOIN_MILLIS = 60_000;

  private final String modelName;
  private final boolean favoured;
  private final BlockingQueue<Batch> inbox = new LinkedBlockingQueue<>();
  private Thread thread;
  private volatile boolean stopRequested;
  private volatile Throwable failure;

  /** {@code favoured}: the thread runs first when the cores are oversubscribed. */
  SteppingWorker(String modelName, boolean favoured) {
    this.modelName = modelName;
    this.favoured = favoured;
  }

  /**
   * Starts the thread: {@code step} for every submitted batch until {@link #requestStop}, then
   * {@code atStop} once; {@code meanwhile} after each batch and, when none comes, every few
   * milliseconds (for what is due on a clock, such as a live window's snapshot).
   */
  void start(Consumer<Batch> step, Runnable meanwhile, Runnable atStop) {
    stopRequested = false;
    failure = null;
    thread =
        TrainingThreads.start(
            () -> stepThroughInbox(step, meanwhile, atStop),
            "streamtrain-steps-" + modelName,
            favoured);
  }

  void start(Consumer<Batch> step, Runnable atStop) {
    start(step, () -> {}, atStop);
  }

  /** From the stream thread: a batch to step through after those submitted before. */
  void submit(Batch batch) {
    inbox.add(batch);
  }

  /** Lets the thread finish the batch it is on, run its last action and end. */
  void requestStop() {
    stopRequested = true;
  }

  /** Why the thread ended early, or null. */
  Throwable failure() {
    return failure;
  }

  private void stepThroughInbox(Consumer<Batch> step, Runnable meanwhile, Runnable atStop) {
    try {
      while (!stopRequested) {
        Batch batch = inbox.poll(10, TimeUnit.MILLISECONDS);
        if (batch != null) {
          step.accept(batch);
        }
        meanwhile.run();
      }
      atStop.run();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable e) {
      LOG.error("Training thread of model {} failed", modelName, e);
      failure = e;
    }
  }

  /**
   * Interrupts the thread, waits for it to end and drops the batches it did not step through; no
   * effect when it is not running.
   *
   * @return whether a thread was running
   */
  boolean stop() {
    Thread running = thread;
    if (running == null) {
      return false;
    }
    stopRequested = true;
    running.interrupt();
    try {
      running.join(JOIN_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    thread = null;
    inbox.clear();
    return true;
  }
}
