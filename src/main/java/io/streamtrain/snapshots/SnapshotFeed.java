package io.streamtrain.snapshots;

import io.streamtrain.kafka.Partitions;
import io.streamtrain.kafka.TopicReader;
import io.streamtrain.snapshots.ModelRecords.Seen;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * The one loop that follows a model's snapshots as they are committed: a consumer of the snapshot
 * topic that hands out the model's own records (one-record snapshots and manifests), each with
 * where its chunks were when it came, and passes over every other record. The predictor's {@link
 * SnapshotFollower} and the trainer's {@link EpochWatch} read the topic through it.
 */
final class SnapshotFeed implements AutoCloseable {
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final String topic;
  private final ModelRecords records;
  private List<TopicPartition> partitions = List.of();

  /**
   * @param consumerProps byte-array consumer properties without a group
   */
  SnapshotFeed(Properties consumerProps, String topic, String modelName) {
    // About one chunk per fetch: a big model's chunks pass by here before its manifest.
    this.consumer = new KafkaConsumer<>(SnapshotChunks.oneChunkAtATime(consumerProps));
    this.topic = topic;
    this.records = new ModelRecords(modelName);
  }

  /** Reads every partition of the topic from its beginning. */
  void fromBeginning() {
    partitions = Partitions.of(consumer, topic);
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
  }

  /** Reads {@code partitions} of the topic from their end now, fixed before this returns. */
  void fromNow(Collection<Integer> partitions) {
    this.partitions = partitions.stream().map(p -> new TopicPartition(topic, p)).toList();
    consumer.assign(this.partitions);
    consumer.seekToEnd(this.partitions);
    this.partitions.forEach(consumer::position);
  }

  /** Hands out the model's records up to the end the topic has now. */
  void catchUp(Consumer<Seen> visitor) throws TopicReader.StalledException {
    TopicReader.catchUp(
        consumer, partitions, TopicReader.DEFAULT_TIMEOUT, r -> records.offer(r, visitor));
  }

  /** The model's records among what one poll brings, in order. */
  List<Seen> poll(Duration timeout) {
    List<Seen> seen = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(timeout)) {
      records.offer(r, seen::add);
    }
    return seen;
  }

  /** Whether every committed record there is now was read. */
  boolean atEnd() {
    try {
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      return partitions.stream().allMatch(tp -> consumer.position(tp) >= ends.get(tp));
    } catch (TimeoutException e) {
      return false; // asked again after the next poll
    }
  }

  /** Ends a poll in progress on another thread with a {@code WakeupException}. */
  void wakeup() {
    consumer.wakeup();
  }

  @Override
  public void close() {
    consumer.close();
  }

  void close(Duration timeout) {
    consumer.close(timeout);
  }
}
