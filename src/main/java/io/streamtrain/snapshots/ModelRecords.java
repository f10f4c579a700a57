package io.streamtrain.snapshots;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Sorts the records of the snapshot topic for one model, in the order a read passes them: its chunk
 * records are noted, its own records (one-record snapshots and manifests) are handed on with where
 * its chunks were at that point, and every other record is passed over.
 */
final class ModelRecords {
  private final byte[] modelKey;
  private final ChunkLocations chunks;

  /**
   * A record of the model (a snapshot or a manifest) and where its chunks were when it came: later
   * records may be the first chunks of a version whose manifest is still to come.
   */
  record Seen(ConsumerRecord<byte[], byte[]> record, ChunkLocations chunks) {}

  ModelRecords(String modelName) {
    this.modelKey = modelName.getBytes(StandardCharsets.UTF_8);
    this.chunks = new ChunkLocations(modelName);
  }

  /** Notes {@code r} if it is one of the model's chunks, hands it to {@code visitor} if its own. */
  void offer(ConsumerRecord<byte[], byte[]> r, Consumer<Seen> visitor) {
    if (!chunks.offer(r)
        && r.key() != null
        && Arrays.equals(r.key(), modelKey)
        && r.value() != null) {
      visitor.accept(new Seen(r, chunks.copy()));
    }
  }
}
