package io.streamtrain.topology;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends records that cannot be used to the dead-letter sink with their original key and bytes, and
 * counts them per kind. Header names follow Kafka Streams' own dead-letter queue (KIP-1034), so a
 * consumer of {@code images.dlq} reads one convention whoever put the record there.
 */
public final class DeadLetters {
  public static final String EXCEPTION = "__streams.errors.exception";
  public static final String MESSAGE = "__streams.errors.message";
  public static final String KIND = "streamtrain.errors.kind";
  public static final String TOPIC = "__streams.errors.topic";
  public static final String PARTITION = "__streams.errors.partition";
  public static final String OFFSET = "__streams.errors.offset";

  private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);

  private final String sinkName;
  private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

  public DeadLetters(String sinkName) {
    this.sinkName = sinkName;
  }

  /** Forwards {@code record} unchanged plus error headers to the dead-letter sink. */
  public <K, V> void send(
      ProcessorContext<K, V> context, Record<byte[], byte[]> record, InvalidRecordException error) {
    Headers headers = new RecordHeaders(record.headers().toArray());
    put(headers, EXCEPTION, error.getCause() != null ? error.getCause().getClass().getName() : error.getClass().getName());
    put(headers, MESSAGE, error.getMessage());
    put(headers, KIND, error.kind());
    RecordMetadata meta = context.recordMetadata().orElse(null);
    if (meta != null) {
      put(headers, TOPIC, meta.topic());
      put(headers, PARTITION, String.valueOf(meta.partition()));
      put(headers, OFFSET, String.valueOf(meta.offset()));
    }
    @SuppressWarnings("unchecked")
    Record<K, V> out =
        (Record<K, V>) (Record<?, ?>) new Record<>(record.key(), record.value(), record.timestamp(), headers);
    context.forward(out, sinkName);
    LongAdder count = counts.computeIfAbsent(error.kind(), k -> new LongAdder());
    if (count.sum() == 0) {
      LOG.warn("Dead-lettered a record ({}): {} (further ones of this kind are counted, not logged)",
          error.kind(), error.getMessage());
    }
    count.increment();
  }

  /** Dead-lettered records per kind so far. */
  public Map<String, Long> counts() {
    Map<String, Long> snapshot = new TreeMap<>();
    counts.forEach((kind, n) -> snapshot.put(kind, n.sum()));
    return snapshot;
  }

  private static void put(Headers headers, String name, String value) {
    headers.remove(name);
    headers.add(name, String.valueOf(value).getBytes(StandardCharsets.UTF_8));
  }
}
