package io.streamtrain.topology;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the {@link MiniBatcher} and the {@link Trainer} of one task tell each other: how many
 * forwarded batches the trainer has not stepped through yet (the batcher forwards only while there
 * is room, so the stream thread goes back to polling instead of waiting for training), and the last
 * window whose end the trainer has published a snapshot for (the batcher deletes a window from its
 * store only then, so the deletion never commits before the snapshot that makes it safe).
 */
final class TrainerQueue {
  /**
   * Batches in flight: ~0.3 s of training on a CPU, more than one poll loop of the stream thread.
   */
  static final int DEFAULT_CAPACITY = 128;

  private final int capacity;
  private final boolean feedback;
  private final AtomicInteger queued = new AtomicInteger();
  // Written and read on the stream thread only.
  private long windowDone = -1;

  TrainerQueue(int capacity) {
    this(capacity, true);
  }

  private TrainerQueue(int capacity, boolean feedback) {
    this.capacity = capacity;
    this.feedback = feedback;
    reset();
  }

  /**
   * For a batcher tested alone: no trainer downstream to report back, so every window counts as
   * done once forwarded.
   */
  static TrainerQueue withoutFeedback() {
    return new TrainerQueue(Integer.MAX_VALUE, false);
  }

  int room() {
    return capacity - queued.get();
  }

  void added() {
    queued.incrementAndGet();
  }

  void stepped() {
    queued.decrementAndGet();
  }

  long windowDone() {
    return windowDone;
  }

  void windowDone(long windowIndex) {
    windowDone = Math.max(windowDone, windowIndex);
  }

  /** A (re)started task: nothing in flight, nothing done yet. */
  void reset() {
    queued.set(0);
    windowDone = feedback ? -1 : Long.MAX_VALUE;
  }
}
