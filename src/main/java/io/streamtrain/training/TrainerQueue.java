package io.streamtrain.training;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the {@link MiniBatcher} and the {@link Trainer} of one task tell each other: how many
 * forwarded batches the trainer has not stepped through yet (the batcher forwards only while there
 * is room, so the stream thread goes back to polling instead of waiting for training), and the last
 * window whose end the trainer has published a snapshot for (the batcher deletes a window from its
 * store only then, so the deletion never commits before the snapshot that makes it safe), and the
 * pixel buffers of stepped batches, which the batcher fills again; and where the trainer resumed
 * (its snapshot's window and batches applied), which the batcher must not reorder live windows
 * before.
 */
final class TrainerQueue {
  /**
   * Batches in flight: ~0.3 s of training on a CPU, more than one poll loop of the stream thread.
   */
  static final int DEFAULT_CAPACITY = 128;

  private final int capacity;
  private final boolean feedback;
  private final AtomicInteger queued = new AtomicInteger();
  // Written by the training thread, read by the stream thread's batcher.
  private volatile long stepNanos;
  // Written and read on the stream thread only.
  private long windowDone = -1;
  private long resumedWindow = -1;
  private int resumedBatches;
  // 64 Fashion-MNIST images are 200 KB of floats, 375 batches a second on a CPU: allocated fresh
  // they were a fifth of the pipeline's allocations, and those in flight at a collection were
  // promoted. Null without feedback: nothing comes back.
  private final ArrayBlockingQueue<float[]> pixelBuffers;

  TrainerQueue(int capacity) {
    this(capacity, true);
  }

  private TrainerQueue(int capacity, boolean feedback) {
    this.capacity = capacity;
    this.feedback = feedback;
    this.pixelBuffers = feedback ? new ArrayBlockingQueue<>(capacity) : null;
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

  /** Batches forwarded and not stepped yet. */
  int queued() {
    return queued.get();
  }

  void added() {
    queued.incrementAndGet();
  }

  /**
   * The trainer is done with a batch, after {@code nanos} of training; its pixel buffer may be
   * filled again.
   */
  void stepped(Batch batch, long nanos) {
    if (nanos > 0) {
      long mean = stepNanos;
      stepNanos = mean == 0 ? nanos : mean + (nanos - mean) / 8;
    }
    queued.decrementAndGet();
    if (pixelBuffers != null && batch != null) {
      pixelBuffers.offer(batch.pixels()); // dropped when the pool is full
    }
  }

  /** The trainer's recent time per batch (a moving mean), 0 before its first. */
  long stepNanos() {
    return stepNanos;
  }

  /** A buffer of {@code length} floats: a stepped batch's when one of that length is at hand. */
  float[] pixelBuffer(int length) {
    float[] buffer = pixelBuffers == null ? null : pixelBuffers.poll();
    return buffer != null && buffer.length == length ? buffer : new float[length];
  }

  long windowDone() {
    return windowDone;
  }

  void windowDone(long windowIndex) {
    windowDone = Math.max(windowDone, windowIndex);
  }

  /** The trainer resumed right after batch {@code batchesApplied - 1} of window {@code window}. */
  void resumedAt(long window, int batchesApplied) {
    resumedWindow = window;
    resumedBatches = batchesApplied;
  }

  /**
   * Batches of window {@code index} the trainer had applied when it resumed: all of them ({@code
   * end}) for an earlier window, none ({@code first}) for a later one.
   */
  int appliedOnResume(long index, int first, int end) {
    if (index < resumedWindow) {
      return end;
    }
    return index == resumedWindow ? Math.max(first, resumedBatches) : first;
  }

  long resumedWindow() {
    return resumedWindow;
  }

  /** A (re)started task: nothing in flight, nothing done yet. */
  void reset() {
    resumedWindow = -1;
    resumedBatches = 0;
    queued.set(0);
    windowDone = feedback ? -1 : Long.MAX_VALUE;
  }
}
