package io.streamtrain.training;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * One feed partition in memory for batcher tests: records get consecutive offsets as Kafka would
 * give them, and the batcher can read ranges back as from the real topic.
 */
final class FeedLog implements FeedReader {
  static final String TOPIC = "train.feed";

  private final List<Record<byte[], byte[]>> records = new ArrayList<>();
  private int reads;

  /**
   * Appends {@code record} at the next offset and hands it to the batcher as Kafka Streams does.
   */
  void send(
      MiniBatcher batcher,
      MockProcessorContext<Object, Object> context,
      Record<byte[], byte[]> record) {
    context.setRecordMetadata(TOPIC, 0, records.size());
    records.add(record);
    batcher.process(record);
  }

  /** Notes a record piped into a TopologyTestDriver, which numbers offsets the same way. */
  void append(org.apache.kafka.common.header.Headers headers, byte[] value) {
    records.add(new Record<>(null, value, 0L, headers));
  }

  @Override
  public void read(String topicPartition, long from, long toInclusive, Sink sink) {
    reads++;
    for (long offset = from; offset <= toInclusive && offset < records.size(); offset++) {
      Record<byte[], byte[]> r = records.get((int) offset);
      sink.accept(offset, r.headers(), r.value());
    }
  }

  /** Ranges read back so far. */
  int reads() {
    return reads;
  }
}
