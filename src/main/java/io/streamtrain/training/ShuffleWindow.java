package io.streamtrain.training;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** One shuffle window and, while it is in memory, its examples in arrival order. */
final class ShuffleWindow {
  long index; // changes only while none of its batches was forwarded (see LiveSealing)
  final int epoch;
  final int windowInEpoch;

  /**
   * In arrival order; null while paged out (read back from the feed when its turn comes) and once
   * every batch is forwarded.
   */
  ExampleChunks examples;

  int count;
  boolean sealed;
  boolean epochEnd;
  int nextBatch;
  int[] order;
  String feedPartition = "";
  long firstOffset = -1;
  long lastOffset = -1;
  boolean live;
  long oldestEventTime = Long.MAX_VALUE;
  long newestEventTime = Long.MIN_VALUE;
  // When a live window opened, on the task's wall clock (not stored).
  long openedMs;
  // A cut epoch window (see LiveSealing) forwards batches firstBatch..endBatch-1 of its
  // composition only; endBatch -1 for up to its last.
  int firstBatch;
  int endBatch = -1;

  void noteEventTime(long timestamp) {
    oldestEventTime = Math.min(oldestEventTime, timestamp);
    newestEventTime = Math.max(newestEventTime, timestamp);
  }

  /** Batches of this window; 0 for an empty one, which still forwards one epoch-end signal. */
  int batchCount(int batchSize) {
    return (count + batchSize - 1) / batchSize;
  }

  boolean forwarded(int batchSize) {
    return sealed && nextBatch >= endBatch(batchSize);
  }

  /** The batch after the last this window forwards. */
  int endBatch(int batchSize) {
    return endBatch >= 0 ? endBatch : Math.max(1, batchCount(batchSize));
  }

  /** Whether none of its batches was forwarded yet. */
  boolean unstarted() {
    return nextBatch == firstBatch;
  }

  void noteOffset(String partition, long offset) {
    feedPartition = partition;
    if (firstOffset < 0) {
      firstOffset = offset;
    }
    lastOffset = offset;
  }

  ShuffleWindow(long index, int epoch, int windowInEpoch) {
    this.index = index;
    this.epoch = epoch;
    this.windowInEpoch = windowInEpoch;
  }

  // feedPartition's UTF-8 bytes, encoded once per string rather than once per record.
  private String encodedPartitionOf;
  private byte[] encodedPartition;

  private byte[] partitionBytes() {
    if (encodedPartitionOf != feedPartition) { // a new string: the batcher keeps one per partition
      encodedPartition = feedPartition.getBytes(StandardCharsets.UTF_8);
      encodedPartitionOf = feedPartition;
    }
    return encodedPartition;
  }

  static byte[] encodeMeta(ShuffleWindow w) {
    byte[] partition = w.partitionBytes();
    return ByteBuffer.allocate(42 + partition.length + 17 + 8)
        .putLong(w.index)
        .putInt(w.epoch)
        .putInt(w.windowInEpoch)
        .put((byte) (w.sealed ? 1 : 0))
        .put((byte) (w.epochEnd ? 1 : 0))
        .putLong(w.firstOffset)
        .putLong(w.lastOffset)
        .putInt(w.count)
        .putInt(partition.length)
        .put(partition)
        .put((byte) (w.live ? 1 : 0))
        .putLong(w.oldestEventTime)
        .putLong(w.newestEventTime)
        .putInt(w.firstBatch)
        .putInt(w.endBatch)
        .array();
  }

  static ShuffleWindow decodeMeta(byte[] bytes) {
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    ShuffleWindow w = new ShuffleWindow(buf.getLong(), buf.getInt(), buf.getInt());
    w.sealed = buf.get() == 1;
    w.epochEnd = buf.get() == 1;
    w.firstOffset = buf.getLong();
    w.lastOffset = buf.getLong();
    w.count = buf.getInt();
    byte[] partition = new byte[buf.getInt()];
    buf.get(partition);
    w.feedPartition = new String(partition, StandardCharsets.UTF_8);
    if (buf.remaining() >= 17) { // absent in descriptions written before live windows
      w.live = buf.get() == 1;
      w.oldestEventTime = buf.getLong();
      w.newestEventTime = buf.getLong();
    }
    if (buf.remaining() >= 8) { // absent in descriptions written before cut windows
      w.firstBatch = buf.getInt();
      w.endBatch = buf.getInt();
      w.nextBatch = w.firstBatch;
    }
    return w;
  }
}
