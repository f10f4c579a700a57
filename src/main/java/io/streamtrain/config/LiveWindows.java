package io.streamtrain.config;

/**
 * How live records (appended to the feed by the live tail, with no epoch) become mini-batches and
 * reach the served model: a live window seals at {@code size} records or {@code maxWaitMs} after
 * its first record, whichever comes first; a snapshot follows its training, at most one per {@code
 * minSnapshotIntervalMs}, so that a large model does not flood the compacted snapshot topic.
 */
public record LiveWindows(int size, int maxWaitMs, int minSnapshotIntervalMs) {

  public LiveWindows {
    Checks.atLeast("--live-window", size, 1);
    Checks.atLeast("--live-wait-ms", maxWaitMs, 1);
    if (minSnapshotIntervalMs < 0) {
      throw new IllegalArgumentException(
          "--live-snapshot-ms must be >= 0 (got " + minSnapshotIntervalMs + ")");
    }
  }

  /** Windows of up to 256 records or 200 ms, a snapshot at most every 250 ms. */
  public static LiveWindows defaults() {
    return new LiveWindows(256, 200, 250);
  }
}
