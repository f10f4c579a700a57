package io.streamtrain.report;

import io.streamtrain.app.Pipeline;
import io.streamtrain.schema.TrainingMetric;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads one model's records of {@code training.metrics} from the beginning to the end offsets at
 * the time of the call, without a consumer group.
 */
public final class MetricsTopicReader {
  private MetricsTopicReader() {}

  /**
   * What was read.
   *
   * @param metrics the model's records in topic order (per partition; the trainer keys them by
   *     model name, so one model's records share a partition)
   * @param otherModels names of the other models whose records the topic holds
   * @param undecodable records of the model that failed to decode
   */
  public record Read(List<TrainingMetric> metrics, Set<String> otherModels, long undecodable) {}

  /** The configured model's records on the deployment's {@code training.metrics} topic. */
  public static Read read(Pipeline pipeline) {
    return read(
        pipeline.settings().consumerProps(null),
        pipeline.names().trainingMetrics(),
        pipeline.settings().modelName(),
        pipeline.serde(TrainingMetric.class).deserializer());
  }

  /**
   * @param consumerProps byte-array consumer properties without a group
   */
  public static Read read(
      Properties consumerProps,
      String topic,
      String modelName,
      Deserializer<TrainingMetric> deserializer) {
    List<TrainingMetric> metrics = new ArrayList<>();
    Set<String> others = new TreeSet<>();
    long undecodable = 0;
    RuntimeException firstFailure = null;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps)) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
      if (infos == null || infos.isEmpty()) {
        throw new IllegalStateException(
            "Topic "
                + topic
                + " does not exist: run a trainer first (streamtrain train or demo),"
                + " or check --topic-prefix");
      }
      List<TopicPartition> partitions =
          infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          String key = r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
          if (!key.equals(modelName)) {
            others.add(key);
            continue;
          }
          try {
            metrics.add(deserializer.deserialize(topic, r.value()));
          } catch (RuntimeException e) {
            undecodable++;
            firstFailure = firstFailure == null ? e : firstFailure;
          }
        }
      }
    }
    if (metrics.isEmpty() && firstFailure != null) {
      throw new IllegalStateException(
          "None of the "
              + undecodable
              + " metric records of "
              + modelName
              + " on "
              + topic
              + " decodes ("
              + firstFailure.getMessage()
              + "): check --registry",
          firstFailure);
    }
    return new Read(metrics, others, undecodable);
  }
}
