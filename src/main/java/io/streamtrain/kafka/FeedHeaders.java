package io.streamtrain.kafka;

import java.nio.charset.StandardCharsets;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The headers {@link Replayer} writes on the training feed, which the trainer reads. Values are
 * UTF-8 decimal strings so that kcat and other tools show them as they are.
 *
 * <p>Data records carry {@link #EPOCH}. After each epoch, every feed partition gets one marker
 * record (null key, null value) with {@link #MARKER} = {@link #EPOCH_END}, {@link #EPOCH} and
 * {@link #COUNT}, the number of data records of that epoch written to that feed partition.
 *
 * <p>Live records, which the training application's live tail appends as they arrive on the dataset
 * topic, carry no epoch but {@link #LIVE}: where they came from ({@code topic-partition@offset}),
 * and {@link #PRODUCED}: their record timestamp on the dataset topic, the production time every
 * freshness figure counts from (the feed's own timestamps are its append times, for its retention).
 */
public final class FeedHeaders {
  public static final String EPOCH = "streamtrain.epoch";
  public static final String MARKER = "streamtrain.marker";
  public static final String COUNT = "streamtrain.count";
  public static final String EPOCH_END = "epoch-end";
  public static final String LIVE = "streamtrain.live";
  public static final String PRODUCED = "streamtrain.produced";

  private FeedHeaders() {}

  /** The epoch of a feed record (data or marker), empty when the header is absent. */
  public static OptionalInt epoch(Headers headers) {
    OptionalLong value = longValue(headers, EPOCH);
    return value.isPresent() ? OptionalInt.of((int) value.getAsLong()) : OptionalInt.empty();
  }

  /** Whether this feed record is an end-of-epoch marker rather than a data record. */
  public static boolean isEpochEnd(Headers headers) {
    Header marker = headers.lastHeader(MARKER);
    return marker != null
        && marker.value() != null
        && EPOCH_END.equals(new String(marker.value(), StandardCharsets.UTF_8));
  }

  /** Whether this feed record is a live one, appended by the live tail. */
  public static boolean isLive(Headers headers) {
    return headers.lastHeader(LIVE) != null;
  }

  /** The value of {@link #LIVE} for a record of {@code topicPartition} at {@code offset}. */
  public static byte[] liveSource(String topicPartition, long offset) {
    return utf8Text(topicPartition + "@" + offset);
  }

  /** The value of {@link #PRODUCED} for a record produced at {@code timestampMs}. */
  public static byte[] produced(long timestampMs) {
    return utf8(timestampMs);
  }

  /**
   * The production time of a live record on the dataset topic; {@code fallbackMs} (its feed
   * timestamp) when the header is absent or unreadable, as on records written before it existed.
   */
  public static long producedAt(Headers headers, long fallbackMs) {
    try {
      return longValue(headers, PRODUCED).orElse(fallbackMs);
    } catch (IllegalArgumentException e) {
      return fallbackMs;
    }
  }

  /** The record count of an end-of-epoch marker, empty on data records. */
  public static OptionalLong count(Headers headers) {
    return longValue(headers, COUNT);
  }

  static byte[] utf8(long value) {
    return utf8Text(Long.toString(value));
  }

  static byte[] utf8Text(String value) {
    return value.getBytes(StandardCharsets.UTF_8);
  }

  private static OptionalLong longValue(Headers headers, String name) {
    Header header = headers.lastHeader(name);
    if (header == null || header.value() == null) {
      return OptionalLong.empty();
    }
    String text = new String(header.value(), StandardCharsets.UTF_8);
    try {
      return OptionalLong.of(Long.parseLong(text));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "Header " + name + " must be a decimal number, got '" + text + "'", e);
    }
  }
}
