package io.streamtrain.training;

import io.streamtrain.config.Training;
import io.streamtrain.snapshots.SnapshotChunks;

/**
 * How large a model's snapshots are before the first one exists, and what that asks of the
 * trainer's transactions: a chunked snapshot is written inside one.
 */
public final class SnapshotSize {
  /** Streams' own transaction timeout under exactly-once. */
  static final long STREAMS_TRANSACTION_TIMEOUT_MS = 10_000;

  /** Time allowed per chunk on top of Streams' timeout: a chunk at 4 MB/s, a slow shared disk. */
  static final long TRANSACTION_MS_PER_CHUNK = 1_000;

  private SnapshotSize() {}

  /** Parameters and optimizer buffers in float32: what a snapshot of the model carries. */
  public static long expectedBytes(Training training, long parameters) {
    int copies = training.optimizer().equals("adam") ? 3 : training.momentum() > 0 ? 2 : 1;
    return parameters * Float.BYTES * copies;
  }

  /** As {@link #expectedBytes(Training, long)} for the configured model. */
  public static long expectedBytes(TrainingSetup setup) {
    return expectedBytes(setup.settings(), setup.spec().parameterCount());
  }

  /**
   * The transaction timeout a trainer needs to write a snapshot of {@code bytes}, or 0 when
   * Streams' default does (a one-record snapshot). Longer than needed delays a restarted trainer on
   * a fresh state directory, which waits for the killed one's open transaction to time out.
   */
  public static long transactionTimeoutMs(long bytes) {
    if (bytes <= SnapshotChunks.ONE_RECORD_MAX_BYTES) {
      return 0;
    }
    int chunks = SnapshotChunks.chunkCount(bytes, SnapshotChunks.DEFAULT_CHUNK_BYTES);
    return STREAMS_TRANSACTION_TIMEOUT_MS + chunks * TRANSACTION_MS_PER_CHUNK;
  }
}
