package io.streamtrain.snapshots;

import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.NamedTensor;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Properties;
import java.util.function.BiConsumer;
import org.apache.avro.Schema;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.utils.Utils;

/**
 * A snapshot too large for one Kafka record, as several: chunk records keyed {@code
 * <model>/chunk/<index>} that carry slices of the payload (the Avro binary encoding of the tensors
 * and the optimizer state), then the manifest keyed by the model name that carries everything else
 * and the payload's size and SHA-256. Both are {@link ModelSnapshot} records, so the topic keeps
 * one schema. Written in one transaction, chunks first, so that a read_committed reader that sees a
 * manifest finds its chunks before it; keyed by index, so that compaction keeps the newest of each.
 *
 * <p>Both directions stream: the writer ({@link ChunkWriter}) hands out one chunk at a time, the
 * reader ({@link ChunkReader}) decodes the tensors while it pulls the chunks, so neither holds the
 * encoded snapshot whole.
 */
public final class SnapshotChunks {
  /** Payload per chunk: well under the producer's and the topic's 16 MiB record limit. */
  public static final int DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;

  /**
   * Largest payload that still goes out as one record: every snapshot that fitted the 16 MiB record
   * before chunks existed (the quickstart MLP with Adam, 8 MB) stays one record, with room for the
   * envelope.
   */
  public static final int ONE_RECORD_MAX_BYTES = 12 * 1024 * 1024;

  /** Largest chunk that still fits a record of {@code SNAPSHOT_MAX_BYTES} with its envelope. */
  public static final int MAX_CHUNK_BYTES = 15 * 1024 * 1024;

  private static final String CHUNK_INFIX = "/chunk/";

  private SnapshotChunks() {}

  /**
   * {@code consumerProps} with fetches of about one chunk, for reads of the snapshot topic: the
   * consumer then holds one chunk record in flight rather than the 64 MiB a fetch may bring. A
   * record larger than that (a one-record snapshot of up to 16 MiB) still comes, alone.
   */
  public static Properties oneChunkAtATime(Properties consumerProps) {
    Properties props = new Properties();
    props.putAll(consumerProps);
    String fetchBytes = String.valueOf(DEFAULT_CHUNK_BYTES + 64 * 1024);
    props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, fetchBytes);
    props.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, fetchBytes);
    return props;
  }

  /**
   * The partition of every record of {@code modelName}'s snapshots, chunks and manifests alike: the
   * one the producer's default partitioner picks for the model name, so that one-record snapshots
   * stay where they were and a manifest's chunks come before it in one partition.
   */
  public static int partition(String modelName, int partitions) {
    return Utils.toPositive(Utils.murmur2(modelName.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  /** The key of chunk {@code index} of {@code modelName}'s snapshots. */
  public static String chunkKey(String modelName, int index) {
    return modelName + CHUNK_INFIX + index;
  }

  /** The key prefix of {@code modelName}'s chunk records. */
  public static byte[] chunkKeyPrefix(String modelName) {
    return (modelName + CHUNK_INFIX).getBytes(StandardCharsets.UTF_8);
  }

  /** The chunk index a key with {@code prefix} names, or -1 for any other key. */
  public static int chunkIndex(byte[] key, byte[] prefix) {
    if (key == null
        || key.length <= prefix.length
        || !Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length)) {
      return -1;
    }
    int index = 0;
    for (int i = prefix.length; i < key.length; i++) {
      int digit = key[i] - '0';
      if (digit < 0 || digit > 9 || index > (Integer.MAX_VALUE - digit) / 10) {
        return -1;
      }
      index = index * 10 + digit;
    }
    return index;
  }

  /** The encoded size of the snapshot's tensors and optimizer state, closely from above. */
  public static long payloadBytes(ModelSnapshot snapshot) {
    return tensorBytes(snapshot.getTensors()) + tensorBytes(snapshot.getOptimizerState());
  }

  private static long tensorBytes(List<NamedTensor> tensors) {
    long bytes = 10;
    for (NamedTensor t : tensors) {
      bytes += t.getData().remaining() + t.getName().length() * 3L + t.getDtype().length() + 30;
      bytes += 10L * (t.getShape().size() + 1);
    }
    return bytes;
  }

  /** Whether {@code snapshot} goes out as chunks rather than as one record. */
  public static boolean needsChunks(ModelSnapshot snapshot) {
    return needsChunks(snapshot, ONE_RECORD_MAX_BYTES);
  }

  /** Whether {@code snapshot}'s payload is larger than {@code oneRecordMaxBytes}. */
  public static boolean needsChunks(ModelSnapshot snapshot, int oneRecordMaxBytes) {
    return payloadBytes(snapshot) > oneRecordMaxBytes;
  }

  /** The number of chunks a payload of {@code payloadBytes} takes. */
  public static int chunkCount(long payloadBytes, int chunkBytes) {
    return (int) Math.max(1, (payloadBytes + chunkBytes - 1) / chunkBytes);
  }

  /**
   * Encodes {@code snapshot}'s tensors chunk by chunk, handing each chunk record to {@code out}
   * with its key as soon as it is full, then the manifest with the model name; returns the
   * manifest.
   */
  public static ModelSnapshot write(
      ModelSnapshot snapshot, int chunkBytes, BiConsumer<String, ModelSnapshot> out) {
    return ChunkWriter.write(snapshot, chunkBytes, out);
  }

  /**
   * A tensor whose data is read in slices as it is encoded, from wherever it lives (the model's
   * native memory), so that the encoded snapshot never exists whole.
   */
  public interface StreamedTensor {
    String name();

    List<Long> shape();

    String dtype();

    /** The size of the data. */
    long bytes();

    /** Reads data bytes {@code [offset, offset + len)} into {@code into}. */
    void read(long offset, byte[] into, int off, int len);
  }

  /** What a streamed write passes by: each tensor's header, then its data in slices. */
  public interface TensorObserver {
    void tensor(String name, String dtype, List<Long> shape, long bytes);

    void data(byte[] bytes, int off, int len);
  }

  /** Data is read from a streamed tensor this many bytes at a time. */
  static final int SLICE_BYTES = 1024 * 1024;

  /** {@link #payloadBytes(ModelSnapshot)} of a snapshot whose tensors stream. */
  public static long payloadBytes(
      List<? extends StreamedTensor> tensors, List<? extends StreamedTensor> optimizerState) {
    return streamedBytes(tensors) + streamedBytes(optimizerState);
  }

  private static long streamedBytes(List<? extends StreamedTensor> tensors) {
    long bytes = 10;
    for (StreamedTensor t : tensors) {
      bytes += t.bytes() + t.name().length() * 3L + t.dtype().length() + 30;
      bytes += 10L * (t.shape().size() + 1);
    }
    return bytes;
  }

  /**
   * The snapshot {@code manifest} describes, its tensors decoded from {@code chunks} (chunk records
   * in index order, pulled one at a time). Fails with one line naming the version and what is wrong
   * when a chunk is missing, of another version, or does not match its checksum.
   */
  public static ModelSnapshot read(ModelSnapshot manifest, Iterator<ModelSnapshot> chunks) {
    return ChunkReader.read(manifest, chunks);
  }

  /**
   * A chunked snapshot that cannot be put back together from what the topic holds: {@link
   * #superseded()} when a newer committed version overwrote its chunks (nothing is wrong, a reader
   * goes on to the newer one), damaged otherwise.
   */
  public static final class TornSnapshotException extends IllegalStateException {
    private final boolean superseded;

    public TornSnapshotException(String message) {
      this(message, false);
    }

    public TornSnapshotException(String message, boolean superseded) {
      super(message);
      this.superseded = superseded;
    }

    public TornSnapshotException(String message, Throwable cause) {
      super(message, cause);
      this.superseded = false;
    }

    /**
     * Whether a newer version took the chunks' keys: a chunk of a higher version where this
     * version's was, or this version's chunk compacted away (the cleaner removes a committed record
     * only once a later committed record has its key, and a version's chunks and manifest are
     * committed together).
     */
    public boolean superseded() {
      return superseded;
    }
  }

  /**
   * The failure of a read whose chunk {@code index} was compacted away after the read noted where
   * it was: a newer version has written that chunk key since.
   */
  public static TornSnapshotException supersededAt(ModelSnapshot manifest, int index) {
    return new TornSnapshotException(
        describe(manifest)
            + " cannot be read: chunk "
            + index
            + " was compacted away (a newer version overwrote it)",
        true);
  }

  static String describe(ModelSnapshot manifest) {
    return "Version "
        + manifest.getVersion()
        + " of model "
        + manifest.getModelName()
        + " ("
        + manifest.getManifest().getChunks()
        + " chunks, "
        + manifest.getManifest().getPayloadBytes()
        + " bytes)";
  }

  /** A field-by-field copy that shares the values (the tensors are not copied). */
  static ModelSnapshot shallowCopy(ModelSnapshot snapshot) {
    ModelSnapshot copy = new ModelSnapshot();
    for (Schema.Field f : ModelSnapshot.getClassSchema().getFields()) {
      copy.put(f.pos(), snapshot.get(f.pos()));
    }
    return copy;
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }
}
