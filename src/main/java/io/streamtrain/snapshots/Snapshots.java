package io.streamtrain.snapshots;

import io.streamtrain.kafka.Offsets;
import io.streamtrain.kafka.TopicReader;
import io.streamtrain.registry.SchemaRegistryException;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.snapshots.ModelRecords.Seen;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads snapshots of a model from the compacted {@code model.snapshots} topic: the newest one, the
 * newest one published after a given point, or one exact version. Only committed records are read
 * (the consumer properties are read_committed), so a snapshot of an aborted transaction is never
 * resumed from.
 */
public final class Snapshots {
  /** Reads of the newest version in a row that a yet newer version may supersede. */
  private static final int SUPERSEDED_ATTEMPTS = 10;

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
    SnapshotChunks.TornSnapshotException superseded = null;
    long supersededVersion = Long.MIN_VALUE;
    for (int attempt = 1; ; attempt++) {
      // The newest with its chunks as they were at it: a read may return the first chunks of a
      // newer version after it (committed while the read ran) without that version's manifest.
      Seen[] newest = new Seen[1];
      scan(consumerProps, topic, modelName, from, seen -> newest[0] = seen);
      if (newest[0] == null) {
        return Optional.empty();
      }
      ModelSnapshot decoded = decode(newest[0].record(), deserializer);
      if (superseded != null && decoded.getVersion() <= supersededVersion) {
        // No newer version took the chunks' keys: what the read found is damage.
        throw new SnapshotChunks.TornSnapshotException(
            superseded.getMessage() + ", but no newer version is on the topic");
      }
      try {
        return Optional.of(
            complete(consumerProps, topic, decoded, newest[0].chunks(), deserializer));
      } catch (SnapshotChunks.TornSnapshotException e) {
        if (!e.superseded() || attempt == SUPERSEDED_ATTEMPTS) {
          throw e;
        }
        // A newer version replaced the chunks while they were read: read its manifest.
        superseded = e;
        supersededVersion = decoded.getVersion();
      }
    }
  }

  /**
   * The whole snapshot: {@code decoded} itself when it was one record, or with its tensors read
   * back from its chunks, one chunk in memory at a time.
   *
   * @param chunks where the model's chunk records are, as a read of the topic found them
   */
  public static ModelSnapshot complete(
      Properties consumerProps,
      String topic,
      ModelSnapshot decoded,
      ChunkLocations chunks,
      Deserializer<ModelSnapshot> deserializer) {
    if (decoded.getManifest() == null) {
      return decoded;
    }
    Properties props = SnapshotChunks.oneChunkAtATime(consumerProps);
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "1");
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      return SnapshotChunks.read(
          decoded, new ChunkFetcher(consumer, topic, decoded, chunks, deserializer));
    }
  }

  /**
   * Fetches the chunk records of one manifest in index order, each by its offset; a chunk no longer
   * at its offset was compacted away and fails the read as superseded.
   */
  private static final class ChunkFetcher implements Iterator<ModelSnapshot> {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final ModelSnapshot manifest;
    private final int count;
    private final ChunkLocations chunks;
    private final Deserializer<ModelSnapshot> deserializer;
    private int next;

    ChunkFetcher(
        KafkaConsumer<byte[], byte[]> consumer,
        String topic,
        ModelSnapshot manifest,
        ChunkLocations chunks,
        Deserializer<ModelSnapshot> deserializer) {
      this.consumer = consumer;
      this.topic = topic;
      this.manifest = manifest;
      this.count = manifest.getManifest().getChunks();
      this.chunks = chunks;
      this.deserializer = deserializer;
    }

    @Override
    public boolean hasNext() {
      return next < count;
    }

    /** The chunk record, or null when the read found none of its index before the manifest. */
    @Override
    public ModelSnapshot next() {
      int index = next++;
      ChunkLocations.At at = chunks.at(index);
      if (at == null) {
        return null;
      }
      TopicPartition tp = new TopicPartition(topic, at.partition());
      consumer.assign(List.of(tp));
      consumer.seek(tp, at.offset());
      long deadline = System.nanoTime() + TopicReader.DEFAULT_TIMEOUT.toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.offset() == at.offset() && r.value() != null) {
            return deserializer.deserialize(topic, r.value());
          }
          if (r.offset() >= at.offset()) {
            throw SnapshotChunks.supersededAt(manifest, index);
          }
        }
        if (consumer.position(tp) > at.offset()) {
          throw SnapshotChunks.supersededAt(manifest, index);
        }
      }
      throw new IllegalStateException(
          "Cannot read the chunk at offset "
              + at.offset()
              + " of "
              + tp
              + " within "
              + TopicReader.DEFAULT_TIMEOUT.toSeconds()
              + " s");
    }
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
    ChunkLocations[] matchChunks = new ChunkLocations[1];
    scan(
        consumerProps,
        topic,
        modelName,
        Map.of(),
        seen -> {
          ModelSnapshot snapshot;
          try {
            snapshot = deserializer.deserialize(topic, seen.record().value());
          } catch (RuntimeException e) {
            return; // Not readable: neither a version to resume from nor one to count.
          }
          versions.add(snapshot.getVersion());
          if (snapshot.getVersion() == version) {
            match[0] = snapshot;
            matchChunks[0] = seen.chunks();
          }
        });
    ModelSnapshot requested =
        match[0] == null
            ? null
            : complete(consumerProps, topic, match[0], matchChunks[0], deserializer);
    return new Lineage(Optional.ofNullable(requested), List.copyOf(versions));
  }

  /**
   * Hands every non-null record keyed by {@code modelName} (single snapshots and manifests) from
   * {@code from} on to the visitor, each with where the model's chunk records were at it.
   */
  private static void scan(
      Properties consumerProps,
      String topic,
      String modelName,
      Map<Integer, Long> from,
      Consumer<Seen> visitor) {
    ModelRecords records = new ModelRecords(modelName);
    boolean exists;
    try {
      exists =
          TopicReader.read(
              SnapshotChunks.oneChunkAtATime(consumerProps),
              topic,
              from,
              TopicReader.DEFAULT_TIMEOUT,
              r -> records.offer(r, visitor));
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
