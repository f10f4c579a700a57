package io.streamtrain.kafka;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Where a consumer group starts following a topic on its first run: at the topic's end as of that
 * moment, committed for the group before it starts, so that what was already on the topic is left
 * out and what comes after, even during the group's first rebalance, is not. Partitions the group
 * has committed offsets for keep them: a restart resumes where it stopped.
 */
public final class TailStart {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private TailStart() {}

  /**
   * Commits the end offsets of {@code topic}'s partitions that {@code group} has no offset for.
   *
   * @return the offsets committed (empty when the group had them all)
   * @throws IllegalStateException with one line when the topic does not exist
   */
  public static Map<TopicPartition, Long> atEndUnlessCommitted(
      Properties adminProps, String group, String topic) {
    try (Admin admin = Admin.create(adminProps)) {
      List<TopicPartition> partitions;
      try (var consumer =
          new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(
              withDeserializers(adminProps))) {
        var infos = consumer.partitionsFor(topic, TIMEOUT);
        if (infos == null || infos.isEmpty()) {
          throw new IllegalStateException(
              "The dataset topic "
                  + topic
                  + " does not exist: nothing to follow (create it with: streamtrain topics"
                  + " create, or produce to it first)");
        }
        partitions = infos.stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
      }
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin
              .listConsumerGroupOffsets(group)
              .partitionsToOffsetAndMetadata()
              .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      Map<TopicPartition, OffsetSpec> missing = new HashMap<>();
      for (TopicPartition tp : partitions) {
        if (committed.get(tp) == null) {
          missing.put(tp, OffsetSpec.latest());
        }
      }
      if (missing.isEmpty()) {
        return Map.of();
      }
      Map<TopicPartition, OffsetAndMetadata> ends = new HashMap<>();
      Map<TopicPartition, Long> result = new HashMap<>();
      admin
          .listOffsets(missing)
          .all()
          .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
          .forEach(
              (tp, info) -> {
                ends.put(tp, new OffsetAndMetadata(info.offset()));
                result.put(tp, info.offset());
              });
      admin
          .alterConsumerGroupOffsets(group, ends)
          .all()
          .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      return result;
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "Cannot set where the live tail of " + topic + " starts: " + e.getCause().getMessage(),
          e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "Cannot set where the live tail of " + topic + " starts: the broker did not answer", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while setting up the live tail", e);
    }
  }

  private static Properties withDeserializers(Properties adminProps) {
    Properties props = new Properties();
    props.putAll(adminProps);
    props.put(
        "key.deserializer",
        org.apache.kafka.common.serialization.ByteArrayDeserializer.class.getName());
    props.put(
        "value.deserializer",
        org.apache.kafka.common.serialization.ByteArrayDeserializer.class.getName());
    return props;
  }
}
