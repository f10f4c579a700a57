package io.streamtrain.training;

import io.streamtrain.data.ImageTransforms;
import io.streamtrain.kafka.FeedHeaders;
import io.streamtrain.records.ExampleDecoder;
import io.streamtrain.records.InvalidRecordException;
import java.util.Collection;
import java.util.OptionalInt;
import org.apache.kafka.common.header.Headers;

/**
 * Where a window's examples are: in memory while the window is among the next few or within the
 * memory budget, else read back from the feed ({@link FeedReader}) when its turn comes, so that
 * memory stays bounded however far ahead of training the feed runs.
 */
final class WindowPager {
  private static final int IN_MEMORY_WINDOWS = 2;

  private final ExampleDecoder decoder;
  private final FeedReader feed;
  private final int windowSize;
  private final int liveSize;
  private final ExampleChunks.Pool chunks;
  private long memoryBudgetBytes = MiniBatcher.MEMORY_BUDGET_BYTES;

  WindowPager(ExampleDecoder decoder, FeedReader feed, int windowSize, int liveSize) {
    this.decoder = decoder;
    this.feed = feed;
    this.windowSize = windowSize;
    this.liveSize = liveSize;
    // Enough chunks for the windows normally in memory: the one training and the one filling.
    this.chunks =
        new ExampleChunks.Pool(
            Math.toIntExact(exampleBytes()),
            IN_MEMORY_WINDOWS * (long) windowSize * exampleBytes());
  }

  /** Label byte plus pixels. */
  long exampleBytes() {
    return 1L + decoder.inputShape().size();
  }

  /** Examples of a new window that is always in memory (a live one: small). */
  ExampleChunks newWindow() {
    return chunks.newWindow();
  }

  /** Examples of a new epoch window after {@code held}, or null when it is paged out. */
  ExampleChunks newEpochWindow(Collection<ShuffleWindow> held) {
    if (held.size() < IN_MEMORY_WINDOWS
        || bytesInMemory(held) + windowBytes() <= memoryBudgetBytes) {
      return chunks.newWindow();
    }
    return null;
  }

  /** Memory held by in-memory windows, a filling one counted as full. */
  private long bytesInMemory(Collection<ShuffleWindow> held) {
    long bytes = 0;
    for (ShuffleWindow w : held) {
      if (w.examples != null) {
        bytes += (w.sealed ? w.count : w.live ? liveSize : windowSize) * exampleBytes();
      }
    }
    return bytes;
  }

  private long windowBytes() {
    return windowSize * exampleBytes();
  }

  void free(ShuffleWindow window) {
    if (window.examples != null) {
      window.examples.release();
      window.examples = null;
    }
  }

  /**
   * Reads a paged-out window's examples back from the feed: the usable records between its first
   * and last offset, which are exactly the ones it took in.
   */
  void pageIn(ShuffleWindow window) {
    if (window.examples != null) {
      return;
    }
    ExampleChunks examples = chunks.newWindow();
    if (window.count > 0) {
      if (window.firstOffset < 0) {
        throw new IllegalStateException(
            "ShuffleWindow " + window.index + " has no feed offsets to be read back from");
      }
      feed.read(
          window.feedPartition,
          window.firstOffset,
          window.lastOffset,
          (offset, headers, value) -> {
            byte[] example = exampleOf(headers, value, window.feedPartition, offset);
            if (example != null) {
              examples.add(example);
            }
          });
    }
    if (examples.size() != window.count) {
      examples.release();
      throw new IllegalStateException(
          "ShuffleWindow "
              + window.index
              + " held "
              + window.count
              + " examples but "
              + window.feedPartition
              + " offsets "
              + window.firstOffset
              + ".."
              + window.lastOffset
              + " give back "
              + examples.size());
    }
    window.examples = examples;
  }

  /** The example a feed record added to its window, or null for a marker or a dead letter. */
  private byte[] exampleOf(Headers headers, byte[] value, String feedPartition, long offset) {
    OptionalInt epoch;
    try {
      epoch = FeedHeaders.epoch(headers);
    } catch (IllegalArgumentException e) {
      return null;
    }
    if (FeedHeaders.isEpochEnd(headers)) {
      return null;
    }
    try {
      int partition = Integer.parseInt(feedPartition.substring(feedPartition.lastIndexOf('-') + 1));
      return decoder
          .decode(value, epoch.orElse(ImageTransforms.LIVE_EPOCH), partition, offset)
          .bytes();
    } catch (InvalidRecordException e) {
      return null;
    }
  }

  /** For tests: a smaller budget, to page out small windows. */
  void memoryBudget(long bytes) {
    memoryBudgetBytes = bytes;
  }

  void close() {
    feed.close();
  }
}
