package io.streamtrain.topology;

import io.streamtrain.schema.ModelSnapshot;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;

/** Reads the newest snapshot of a model from the compacted {@code model.snapshots} topic. */
public final class Snapshots {
  private Snapshots() {}

  /**
   * Reads the topic to its current end (committed records only) and decodes the last record keyed
   * by {@code modelName}; earlier ones are skipped without decoding.
   *
   * @param consumerProps byte-array consumer properties without a group
   */
  public static Optional<ModelSnapshot> latest(
      Properties consumerProps,
      String topic,
      String modelName,
      Deserializer<ModelSnapshot> deserializer) {
    byte[] key = modelName.getBytes(StandardCharsets.UTF_8);
    byte[] newest = null;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps)) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .collect(Collectors.toList());
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.key() != null && Arrays.equals(r.key(), key) && r.value() != null) {
            newest = r.value();
          }
        }
      }
    }
    return Optional.ofNullable(newest == null ? null : deserializer.deserialize(topic, newest));
  }
}
