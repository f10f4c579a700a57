package io.streamtrain.training;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * The live lane's timestamps for Kafka Streams' choice of the next record: a task takes the
 * partition whose head record has the lowest timestamp, so the live lane's records, all at the
 * lowest valid one, go before any replayed record already fetched. Their real time is the
 * production time the live tail put in a header ({@code FeedHeaders.PRODUCED}), which is what the
 * batcher reads.
 */
final class LiveLaneFirst implements TimestampExtractor {
  static final long TIMESTAMP = 0L;

  @Override
  public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
    return TIMESTAMP;
  }
}
