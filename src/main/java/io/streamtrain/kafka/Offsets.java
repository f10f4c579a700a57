package io.streamtrain.kafka;

import io.streamtrain.config.Settings;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/** Record counts of topics, from their offsets. */
public final class Offsets {
  private Offsets() {}

  /**
   * Records between the beginning and the end of every partition of {@code topic} (0 if absent).
   */
  public static long total(Settings settings, String topic) {
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(settings.consumerProps(null))) {
      List<TopicPartition> partitions = Partitions.of(consumer, topic);
      long end = consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
      long begin =
          consumer.beginningOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
      return end - begin;
    }
  }

  /**
   * The end offset of every partition of {@code topic} now, by partition number (empty if absent).
   *
   * @param consumerProps byte-array consumer properties without a group; under read_committed the
   *     ends are those of committed records
   */
  public static Map<Integer, Long> ends(Properties consumerProps, String topic) {
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps)) {
      Map<Integer, Long> ends = new HashMap<>();
      consumer
          .endOffsets(Partitions.of(consumer, topic))
          .forEach((tp, offset) -> ends.put(tp.partition(), offset));
      return ends;
    }
  }
}
