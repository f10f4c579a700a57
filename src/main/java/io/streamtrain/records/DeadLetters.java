package io.streamtrain.records;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
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
 * Sends records that cannot be used to the dead-letter sink with their original key, bytes and
 * headers plus error headers, and counts them per kind. Header names follow Kafka Streams' own
 * dead-letter queue (KIP-1034, values UTF-8 strings as Streams writes them), so a consumer of
 * {@code images.dlq} reads one convention whoever put the record there. The counts live in memory;
 * a processor that must keep them across restarts stores {@link #encode}d counts in its state store
 * and {@link #restore}s them.
 */
public final class DeadLetters {
  public static final String EXCEPTION = "__streams.errors.exception";
  public static final String MESSAGE = "__streams.errors.message";
  public static final String KIND = "streamtrain.errors.kind";
  public static final String TOPIC = "__streams.errors.topic";
  public static final String PARTITION = "__streams.errors.partition";
  public static final String OFFSET = "__streams.errors.offset";

  /** A feed record whose epoch header is not a number (the batcher's own check). */
  public static final String BAD_EPOCH_HEADER = "bad-epoch-header";

  /**
   * Every kind a record can be dead-lettered with ({@link #KIND}): the one list README's table of
   * kinds is checked against.
   */
  public static final List<String> KINDS = allKinds();

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
    Throwable reason = error.getCause() != null ? error.getCause() : error;
    put(headers, EXCEPTION, reason.getClass().getName());
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
        (Record<K, V>)
            (Record<?, ?>) new Record<>(record.key(), record.value(), record.timestamp(), headers);
    context.forward(out, sinkName);
    LongAdder count = counts.computeIfAbsent(error.kind(), k -> new LongAdder());
    if (count.sum() == 0) {
      LOG.warn(
          "Dead-lettered a record ({}): {} (further ones of this kind are counted, not logged)",
          error.kind(),
          error.getMessage());
    }
    count.increment();
  }

  /** Replaces the counts, e.g. with those a restarted task found in its state store. */
  public void restore(Map<String, Long> restored) {
    counts.clear();
    restored.forEach(
        (kind, n) -> {
          LongAdder adder = new LongAdder();
          adder.add(n);
          counts.put(kind, adder);
        });
  }

  /** Counts as UTF-8 lines {@code kind=count}, for a state store. */
  public static byte[] encode(Map<String, Long> counts) {
    StringBuilder text = new StringBuilder();
    counts.forEach((kind, n) -> text.append(kind).append('=').append(n).append('\n'));
    return text.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The inverse of {@link #encode}. */
  public static Map<String, Long> decode(byte[] bytes) {
    Map<String, Long> counts = new TreeMap<>();
    for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
      int eq = line.lastIndexOf('=');
      if (eq > 0) {
        counts.put(line.substring(0, eq), Long.parseLong(line.substring(eq + 1)));
      }
    }
    return counts;
  }

  /** Dead-lettered records per kind so far. */
  public Map<String, Long> counts() {
    Map<String, Long> snapshot = new TreeMap<>();
    counts.forEach((kind, n) -> snapshot.put(kind, n.sum()));
    return snapshot;
  }

  private static List<String> allKinds() {
    List<String> kinds = new ArrayList<>(DeserializationErrors.KINDS);
    kinds.addAll(LabeledImageDecoder.KINDS);
    kinds.add(BAD_EPOCH_HEADER);
    return List.copyOf(kinds);
  }

  private static void put(Headers headers, String name, String value) {
    headers.remove(name);
    headers.add(name, String.valueOf(value).getBytes(StandardCharsets.UTF_8));
  }
}
