package io.streamtrain.training;

import java.util.Map;

/**
 * One mini-batch handed from the {@link MiniBatcher} to the {@link Trainer} inside one task.
 *
 * @param windowIndex global index of the shuffle window (monotonic across epochs)
 * @param batchIndex index of this batch inside its window
 * @param batchCount batches in the window (0 for an empty window that only ends an epoch)
 * @param epoch the epoch the window belongs to
 * @param epochEnd true on the window's last batch when the window was sealed by an epoch marker
 * @param size examples in this batch (0 for the epoch-end signal of an empty window)
 * @param pixels size x inputSize floats in [0,1], CHW per example
 * @param labels size labels
 * @param feedPartition the feed topic-partition the window came from, e.g. {@code train.feed-0}
 * @param windowFirstOffset feed offset of the window's first example (-1 when empty)
 * @param windowEndOffset feed offset after the window's last example
 * @param live for a live window's batches (records the live tail appended, no epoch): the record
 *     timestamps of its events; null for an epoch window's
 */
public record Batch(
    long windowIndex,
    int batchIndex,
    int batchCount,
    int epoch,
    boolean epochEnd,
    int size,
    float[] pixels,
    int[] labels,
    String feedPartition,
    long windowFirstOffset,
    long windowEndOffset,
    LiveSpan live) {

  /** The production times (record timestamps) of a live window's oldest and newest events. */
  public record LiveSpan(long oldestEventTime, long newestEventTime) {}

  public boolean isLive() {
    return live != null;
  }

  public boolean lastOfWindow() {
    return batchCount == 0 || batchIndex == batchCount - 1;
  }

  /**
   * Once this batch is applied, the feed offset before which every example is reflected in the
   * parameters: the window's end after its last batch, its first offset before.
   */
  Map<String, Long> reflectedOffsets() {
    if (feedPartition.isEmpty()) {
      return Map.of();
    }
    return Map.of(feedPartition, lastOfWindow() ? windowEndOffset : windowFirstOffset);
  }
}
