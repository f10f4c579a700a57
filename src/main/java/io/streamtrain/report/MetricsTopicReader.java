package io.streamtrain.report;

import io.streamtrain.kafka.TopicReader;
import io.streamtrain.records.Topic;
import io.streamtrain.schema.TrainingMetric;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
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

  /**
   * The model's records on the deployment's {@code training.metrics} topic.
   *
   * @param consumerProps byte-array consumer properties without a group
   */
  public static Read read(
      Properties consumerProps, Topic<?, TrainingMetric> topic, String modelName) {
    return read(consumerProps, topic.name(), modelName, topic.valueSerde().deserializer());
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
    long[] undecodable = new long[1];
    RuntimeException[] firstFailure = new RuntimeException[1];
    boolean exists =
        TopicReader.read(
            consumerProps,
            topic,
            r -> {
              String key = r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
              if (!key.equals(modelName)) {
                others.add(key);
                return;
              }
              try {
                metrics.add(deserializer.deserialize(topic, r.value()));
              } catch (RuntimeException e) {
                undecodable[0]++;
                firstFailure[0] = firstFailure[0] == null ? e : firstFailure[0];
              }
            });
    if (!exists) {
      throw new IllegalStateException(
          "Topic "
              + topic
              + " does not exist: run a trainer first (streamtrain train or demo),"
              + " or check --topic-prefix");
    }
    if (metrics.isEmpty() && firstFailure[0] != null) {
      throw new IllegalStateException(
          "None of the "
              + undecodable[0]
              + " metric records of "
              + modelName
              + " on "
              + topic
              + " decodes ("
              + firstFailure[0].getMessage()
              + "): check --registry",
          firstFailure[0]);
    }
    return new Read(metrics, others, undecodable[0]);
  }
}
