package io.streamtrain.kafka;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads a topic to the end it has when the read starts: every partition by assignment (no consumer
 * group, nothing committed), each record handed to a visitor. Records that arrive during the read
 * may be handed over too when a poll returns them. A read that makes no progress for its timeout
 * fails with {@link StalledException} naming the partitions that stopped short of their end.
 */
public final class TopicReader {
  /** How long a read may go without progress before it gives up: a broker that is away. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(120);

  private static final Duration POLL = Duration.ofMillis(200);

  private TopicReader() {}

  /** A partition did not advance towards its end offset within the timeout. */
  public static final class StalledException extends IllegalStateException {
    StalledException(String message) {
      super(message);
    }
  }

  /**
   * Reads every partition of {@code topic} from its beginning to its end offset now.
   *
   * @param consumerProps byte-array consumer properties without a group
   * @return false when the topic does not exist (nothing was read)
   * @throws StalledException when no partition advanced within {@link #DEFAULT_TIMEOUT}
   */
  public static boolean read(
      Properties consumerProps,
      String topic,
      java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> visitor) {
    return read(consumerProps, topic, Map.of(), DEFAULT_TIMEOUT, visitor);
  }

  /**
   * Reads every partition of {@code topic} from its beginning, or from {@code from.get(partition)}
   * where given, to its end offset now.
   *
   * @param consumerProps byte-array consumer properties without a group
   * @param timeout how long the read may go without any partition advancing
   * @return false when the topic does not exist (nothing was read)
   * @throws StalledException when no partition advanced within {@code timeout}
   */
  public static boolean read(
      Properties consumerProps,
      String topic,
      Map<Integer, Long> from,
      Duration timeout,
      java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> visitor) {
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps)) {
      List<TopicPartition> partitions = Partitions.of(consumer, topic);
      if (partitions.isEmpty()) {
        return false;
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      for (TopicPartition tp : partitions) {
        Long start = from.get(tp.partition());
        if (start != null) {
          consumer.seek(tp, start);
        }
      }
      catchUp(consumer, partitions, timeout, visitor);
      return true;
    }
  }

  /**
   * Polls an assigned consumer from its current positions until each of {@code partitions} reaches
   * the end offset it has now. The consumer stays open for the caller to read on.
   *
   * @throws StalledException when no partition advanced within {@code timeout}
   */
  public static void catchUp(
      Consumer<byte[], byte[]> consumer,
      Collection<TopicPartition> partitions,
      Duration timeout,
      java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> visitor) {
    Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
    Map<TopicPartition, Long> position = positions(consumer, partitions, timeout);
    long lastProgress = System.nanoTime();
    while (partitions.stream().anyMatch(tp -> position.get(tp) < end.get(tp))) {
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
        visitor.accept(r);
      }
      Map<TopicPartition, Long> now = positions(consumer, partitions, timeout);
      if (!now.equals(position)) {
        position.putAll(now);
        lastProgress = System.nanoTime();
      } else if (System.nanoTime() - lastProgress > timeout.toNanos()) {
        throw stalled(partitions, position, end, timeout);
      }
    }
  }

  private static Map<TopicPartition, Long> positions(
      Consumer<byte[], byte[]> consumer, Collection<TopicPartition> partitions, Duration timeout) {
    Map<TopicPartition, Long> positions = new HashMap<>();
    for (TopicPartition tp : partitions) {
      positions.put(tp, consumer.position(tp, timeout));
    }
    return positions;
  }

  private static StalledException stalled(
      Collection<TopicPartition> partitions,
      Map<TopicPartition, Long> position,
      Map<TopicPartition, Long> end,
      Duration timeout) {
    String behind =
        partitions.stream()
            .filter(tp -> position.get(tp) < end.get(tp))
            .map(tp -> tp + " at offset " + position.get(tp) + " of " + end.get(tp))
            .collect(Collectors.joining(", "));
    return new StalledException(
        "Reading stopped short of the end: "
            + behind
            + " did not advance within "
            + timeout.toSeconds()
            + " s (is the broker reachable?)");
  }
}
