package io.streamtrain.training;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/** A {@link FeedReader} on an assigned, group-less consumer, opened on first use and kept. */
public final class KafkaFeedReader implements FeedReader {
  private static final Duration STALL_TIMEOUT = Duration.ofSeconds(60);

  private final Properties props;
  private KafkaConsumer<byte[], byte[]> consumer;

  /**
   * @param consumerProps a byte-array consumer's properties; group and commits are removed
   */
  public KafkaFeedReader(Properties consumerProps) {
    this.props = new Properties();
    props.putAll(consumerProps);
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "10000");
  }

  @Override
  public void read(String topicPartition, long from, long toInclusive, Sink sink) {
    if (from < 0 || toInclusive < from) {
      return;
    }
    TopicPartition tp = parse(topicPartition);
    if (consumer == null) {
      consumer = new KafkaConsumer<>(props);
    }
    consumer.assign(List.of(tp));
    Map<TopicPartition, Long> begin = consumer.beginningOffsets(List.of(tp));
    if (begin.getOrDefault(tp, 0L) > from) {
      throw new IllegalStateException(
          "Offsets "
              + from
              + ".."
              + toInclusive
              + " of "
              + tp
              + " are no longer in the topic (retention removed them); the shuffle window they"
              + " belong to cannot be rebuilt");
    }
    consumer.seek(tp, from);
    long deadline = System.nanoTime() + STALL_TIMEOUT.toNanos();
    while (consumer.position(tp) <= toInclusive) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "Reading "
                + tp
                + " offsets "
                + from
                + ".."
                + toInclusive
                + " stalled at "
                + consumer.position(tp));
      }
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200)).records(tp)) {
        if (r.offset() > toInclusive) {
          break;
        }
        sink.accept(r.offset(), r.headers(), r.value());
      }
    }
  }

  /** {@code topic-partition} as Kafka prints it; topic names may contain dashes. */
  static TopicPartition parse(String topicPartition) {
    int dash = topicPartition.lastIndexOf('-');
    if (dash <= 0) {
      throw new IllegalArgumentException("Not a topic-partition: " + topicPartition);
    }
    return new TopicPartition(
        topicPartition.substring(0, dash), Integer.parseInt(topicPartition.substring(dash + 1)));
  }

  @Override
  public void close() {
    if (consumer != null) {
      consumer.close(Duration.ofSeconds(5));
      consumer = null;
    }
  }
}
