package io.streamtrain.kafka;

import io.streamtrain.config.Settings;
import java.util.List;
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
}
