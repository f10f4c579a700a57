package io.streamtrain.training;

import org.apache.kafka.common.header.Headers;

/**
 * Reads a range of the training feed back from Kafka. The {@link MiniBatcher} keeps window contents
 * in memory only and records just each window's offsets in its store: a window paged out (training
 * behind the feed) or held across a restart is read again from the feed, the log that already
 * stores it durably, instead of being written a second time to a changelog.
 */
public interface FeedReader extends AutoCloseable {

  /** Receives one record of a range, in offset order. */
  @FunctionalInterface
  interface Sink {
    void accept(long offset, Headers headers, byte[] value);
  }

  /**
   * Calls {@code sink} for every committed record of {@code topicPartition} (as {@code
   * topic-partition}, e.g. {@code train.feed-0}) with offset in [{@code from}, {@code
   * toInclusive}].
   *
   * @throws IllegalStateException when the range is no longer in the topic (retention removed it)
   */
  void read(String topicPartition, long from, long toInclusive, Sink sink);

  @Override
  default void close() {}

  /** For batchers that never page out or restart (tests of one pass). */
  FeedReader NONE =
      (topicPartition, from, to, sink) -> {
        throw new IllegalStateException(
            "No feed reader: cannot read " + topicPartition + " offsets " + from + ".." + to);
      };
}
