package io.streamtrain.training;

import io.streamtrain.kafka.FeedHeaders;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The live tail: appends every record that arrives on the dataset topic to the training feed as a
 * live record, with its original key, value and timestamp, in the training application's
 * exactly-once transactions. Values pass through undecoded: the batcher validates them as it
 * validates replayed ones, dead letters included.
 */
final class LiveTail implements Processor<byte[], byte[], byte[], byte[]> {
  private ProcessorContext<byte[], byte[]> context;

  @Override
  public void init(ProcessorContext<byte[], byte[]> context) {
    this.context = context;
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    if (record.value() == null) {
      return; // a tombstone deletes an image from the dataset; it is nothing to learn
    }
    String source =
        context.recordMetadata().map(m -> m.topic() + "-" + m.partition()).orElse("unknown");
    long offset = context.recordMetadata().map(m -> m.offset()).orElse(-1L);
    Headers headers = record.headers();
    // A producer's own epoch or marker headers must not pass for a replay's.
    headers.remove(FeedHeaders.EPOCH);
    headers.remove(FeedHeaders.MARKER);
    headers.remove(FeedHeaders.COUNT);
    headers.remove(FeedHeaders.LIVE);
    headers.remove(FeedHeaders.PRODUCED);
    headers.add(FeedHeaders.LIVE, FeedHeaders.liveSource(source, offset));
    // The feed stamps its own append time (LogAppendTime, for its retention): the production
    // time travels in a header.
    headers.add(FeedHeaders.PRODUCED, FeedHeaders.produced(record.timestamp()));
    context.forward(record.withHeaders(headers));
  }
}
