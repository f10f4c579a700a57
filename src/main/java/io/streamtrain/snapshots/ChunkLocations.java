package io.streamtrain.snapshots;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Where the newest chunk record of each index of one model's snapshots is, as a read of the
 * snapshot topic passes them: a manifest's chunks precede it in its transaction, so at the manifest
 * these are its chunks.
 */
public final class ChunkLocations {
  private final byte[] prefix;
  private final Map<Integer, At> chunks = new HashMap<>();

  /** Where one chunk record is. */
  public record At(int partition, long offset) {}

  public ChunkLocations(String modelName) {
    this.prefix = SnapshotChunks.chunkKeyPrefix(modelName);
  }

  private ChunkLocations(byte[] prefix, Map<Integer, At> chunks) {
    this.prefix = prefix;
    this.chunks.putAll(chunks);
  }

  /** Remembers {@code record} when it is one of the model's chunks; says whether it was. */
  public boolean offer(ConsumerRecord<byte[], byte[]> record) {
    int index = SnapshotChunks.chunkIndex(record.key(), prefix);
    if (index < 0) {
      return false;
    }
    if (record.value() == null) {
      chunks.remove(index);
    } else {
      chunks.put(index, new At(record.partition(), record.offset()));
    }
    return true;
  }

  /** What is known now, kept apart from what later records change. */
  public ChunkLocations copy() {
    return new ChunkLocations(prefix, chunks);
  }

  /** Where chunk {@code index} is, or null when none was seen. */
  public At at(int index) {
    return chunks.get(index);
  }
}
