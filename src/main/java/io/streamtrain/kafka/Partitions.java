package io.streamtrain.kafka;

import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

/** The partitions of a topic as a consumer sees them, for reading a topic by assignment. */
public final class Partitions {
  private Partitions() {}

  /** Every partition of {@code topic}; empty when the topic does not exist. */
  public static List<TopicPartition> of(Consumer<?, ?> consumer, String topic) {
    var infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
    if (infos == null) {
      return List.of();
    }
    return infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
  }
}
