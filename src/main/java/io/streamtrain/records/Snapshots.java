package io.streamtrain.records;

import io.streamtrain.kafka.Offsets;
import io.streamtrain.kafka.TopicReader;
import io.streamtrain.registry.SchemaRegistryException;
import io.streamtrain.schema.ModelSnapshot;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads snapshots of a model from the compacted {@code model.snapshots} topic: the newest one, the
 * newest one published after a given point, or one exact version. Only committed records are read
 * (the consumer properties are read_committed), so a snapshot of an aborted transaction is never
 * resumed from.
 */
public final class Snapshots {
  private Snapshots() {}

  /**
   * Reads the topic to its current end and decodes the last record keyed by {@code modelName};
   * earlier ones are skipped without decoding.
   *
   * @param consumerProps byte-array consumer properties without a group
   */
  public static Optional<ModelSnapshot> latest(
      Properties consumerProps,
      String topic,
      String modelName,
      Deserializer<ModelSnapshot> deserializer) {
    return latestFrom(consumerProps, topic, modelName, deserializer, Map.of());
  }

  /**
   * As {@link #latest}, counting only records at or after {@code from} (partition → offset, e.g.
   * the {@link #endOffsets} when a run started: then only the run's own snapshots count).
   */
  public static Optional<ModelSnapshot> latestFrom(
      Properties consumerProps,
      String topic,
      String modelName,
      Deserializer<ModelSnapshot> deserializer,
      Map<Integer, Long> from) {
    List<ConsumerRecord<byte[], byte[]>> newest = new ArrayList<>(1);
    scan(
        consumerProps,
        topic,
        modelName,
        from,
        r -> {
          newest.clear();
          newest.add(r);
        });
    return newest.isEmpty() ? Optional.empty() : Optional.of(decode(newest.get(0), deserializer));
  }

  /**
   * Decodes one record of the snapshot topic; bytes that are not a snapshot fail with one line
   * naming the record (topic, partition, offset) and the ways on.
   */
  public static ModelSnapshot decode(
      ConsumerRecord<byte[], byte[]> record, Deserializer<ModelSnapshot> deserializer) {
    try {
      return deserializer.deserialize(record.topic(), record.value());
    } catch (RuntimeException e) {
      if (e instanceof SchemaRegistryException r && r.isRetriable()) {
        throw r; // The registry's problem, not the record's: its own message says what to do.
      }
      throw new IllegalStateException(notASnapshot(record, e), e);
    }
  }

  /**
   * The line that says a record of the snapshot topic is not a snapshot, where, and how to go on.
   */
  static String notASnapshot(ConsumerRecord<byte[], byte[]> record, Throwable cause) {
    return "The newest record of model "
        + new String(record.key(), StandardCharsets.UTF_8)
        + " on "
        + record.topic()
        + " (partition "
        + record.partition()
        + ", offset "
        + record.offset()
        + ") is not a snapshot: "
        + cause.getMessage()
        + " (resume from a good version with --snapshot-version V, or start over with"
        + " --from-scratch)";
  }

  /** The end offset of every partition of {@code topic} now (committed records only). */
  public static Map<Integer, Long> endOffsets(Properties consumerProps, String topic) {
    Map<Integer, Long> ends = Offsets.ends(consumerProps, topic);
    if (ends.isEmpty()) {
      throw missing(topic);
    }
    return ends;
  }

  /**
   * What the topic holds of one model.
   *
   * @param requested the newest record with the asked version, if any
   * @param versions the versions of the model's records in publication order
   */
  public record Lineage(Optional<ModelSnapshot> requested, List<Long> versions) {
    /** The highest version on the topic, -1 when there is none. */
    public long maxVersion() {
      return versions.stream().mapToLong(Long::longValue).max().orElse(-1);
    }
  }

  /** Decodes every record of {@code modelName}, keeping the newest one of {@code version}. */
  public static Lineage lineage(
      Properties consumerProps,
      String topic,
      String modelName,
      Deserializer<ModelSnapshot> deserializer,
      long version) {
    List<Long> versions = new ArrayList<>();
    ModelSnapshot[] match = new ModelSnapshot[1];
    scan(
        consumerProps,
        topic,
        modelName,
        Map.of(),
        r -> {
          ModelSnapshot snapshot;
          try {
            snapshot = deserializer.deserialize(topic, r.value());
          } catch (RuntimeException e) {
            return; // Not readable: neither a version to resume from nor one to count.
          }
          versions.add(snapshot.getVersion());
          if (snapshot.getVersion() == version) {
            match[0] = snapshot;
          }
        });
    return new Lineage(Optional.ofNullable(match[0]), List.copyOf(versions));
  }

  /** Hands every non-null record keyed by {@code modelName} from {@code from} on to the visitor. */
  private static void scan(
      Properties consumerProps,
      String topic,
      String modelName,
      Map<Integer, Long> from,
      Consumer<ConsumerRecord<byte[], byte[]>> visitor) {
    byte[] key = modelName.getBytes(StandardCharsets.UTF_8);
    boolean exists;
    try {
      exists =
          TopicReader.read(
              consumerProps,
              topic,
              from,
              TopicReader.DEFAULT_TIMEOUT,
              r -> {
                if (r.key() != null && Arrays.equals(r.key(), key) && r.value() != null) {
                  visitor.accept(r);
                }
              });
    } catch (TopicReader.StalledException e) {
      throw new IllegalStateException(
          "Cannot read the snapshots of model "
              + modelName
              + " from "
              + topic
              + ": "
              + e.getMessage(),
          e);
    }
    if (!exists) {
      throw missing(topic);
    }
  }

  private static IllegalStateException missing(String topic) {
    return new IllegalStateException(
        "The snapshot topic "
            + topic
            + " does not exist (create the topics with: streamtrain topics create)");
  }
}
