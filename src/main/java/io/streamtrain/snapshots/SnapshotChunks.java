package io.streamtrain.snapshots;

import io.streamtrain.schema.ChunkManifest;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.NamedTensor;
import io.streamtrain.schema.SnapshotChunk;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Properties;
import java.util.function.BiConsumer;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
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
 * <p>Both directions stream: the writer hands out one chunk at a time, the reader decodes the
 * tensors while it pulls the chunks, so neither holds the encoded snapshot whole.
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
    checkChunkBytes(chunkBytes);
    ChunkingStream stream = new ChunkingStream(snapshot, chunkBytes, out);
    try {
      BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(stream, null);
      SpecificDatumWriter<NamedTensor> writer = new SpecificDatumWriter<>(NamedTensor.class);
      writeArray(encoder, writer, snapshot.getTensors());
      writeArray(encoder, writer, snapshot.getOptimizerState());
      encoder.flush();
      stream.finish();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot encode a snapshot's tensors", e);
    }
    return emitManifest(snapshot, stream, chunkBytes, out);
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
   * As {@link #write(ModelSnapshot, int, BiConsumer)}, reading the tensors slice by slice as they
   * are encoded: the same chunk records and the same manifest as the tensors in {@code header}
   * would give, with one chunk and one slice in memory. {@code observer} sees every tensor as it is
   * encoded; {@code sha256} is asked for the manifest's snapshot SHA-256 once all have been.
   */
  public static ModelSnapshot write(
      ModelSnapshot header,
      List<? extends StreamedTensor> tensors,
      List<? extends StreamedTensor> optimizerState,
      TensorObserver observer,
      java.util.function.Supplier<String> sha256,
      int chunkBytes,
      BiConsumer<String, ModelSnapshot> out) {
    checkChunkBytes(chunkBytes);
    ChunkingStream stream = new ChunkingStream(header, chunkBytes, out);
    try {
      BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(stream, null);
      byte[] slice = new byte[SLICE_BYTES];
      writeStreamed(encoder, tensors, observer, slice);
      writeStreamed(encoder, optimizerState, observer, slice);
      encoder.flush();
      stream.finish();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot encode a snapshot's tensors", e);
    }
    header.setSha256(sha256.get());
    return emitManifest(header, stream, chunkBytes, out);
  }

  /** Encodes as {@link SpecificDatumWriter} encodes {@link NamedTensor}s, the data in slices. */
  private static void writeStreamed(
      BinaryEncoder encoder,
      List<? extends StreamedTensor> tensors,
      TensorObserver observer,
      byte[] slice)
      throws IOException {
    encoder.writeArrayStart();
    encoder.setItemCount(tensors.size());
    for (StreamedTensor t : tensors) {
      encoder.startItem();
      observer.tensor(t.name(), t.dtype(), t.shape(), t.bytes());
      encoder.writeString(t.name());
      encoder.writeArrayStart();
      encoder.setItemCount(t.shape().size());
      for (long dim : t.shape()) {
        encoder.startItem();
        encoder.writeLong(dim);
      }
      encoder.writeArrayEnd();
      encoder.writeString(t.dtype());
      encoder.writeLong(t.bytes());
      for (long offset = 0; offset < t.bytes(); ) {
        int n = (int) Math.min(slice.length, t.bytes() - offset);
        t.read(offset, slice, 0, n);
        observer.data(slice, 0, n);
        encoder.writeFixed(slice, 0, n);
        offset += n;
      }
    }
    encoder.writeArrayEnd();
  }

  private static void checkChunkBytes(int chunkBytes) {
    if (chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) {
      throw new IllegalArgumentException(
          "The snapshot chunk size must be in [1, " + MAX_CHUNK_BYTES + "], got " + chunkBytes);
    }
  }

  private static ModelSnapshot emitManifest(
      ModelSnapshot snapshot,
      ChunkingStream stream,
      int chunkBytes,
      BiConsumer<String, ModelSnapshot> out) {
    ModelSnapshot manifest = shallowCopy(snapshot);
    manifest.setTensors(List.of());
    manifest.setOptimizerState(List.of());
    manifest.setManifest(
        ChunkManifest.newBuilder()
            .setChunks(stream.index)
            .setChunkBytes(chunkBytes)
            .setPayloadBytes(stream.total)
            .setPayloadSha256(HexFormat.of().formatHex(stream.digest.digest()))
            .build());
    out.accept(snapshot.getModelName(), manifest);
    return manifest;
  }

  private static void writeArray(
      BinaryEncoder encoder, SpecificDatumWriter<NamedTensor> writer, List<NamedTensor> tensors)
      throws IOException {
    encoder.writeArrayStart();
    encoder.setItemCount(tensors.size());
    for (NamedTensor t : tensors) {
      encoder.startItem();
      writer.write(t, encoder);
    }
    encoder.writeArrayEnd();
  }

  /**
   * The snapshot {@code manifest} describes, its tensors decoded from {@code chunks} (chunk records
   * in index order, pulled one at a time). Fails with one line naming the version and what is wrong
   * when a chunk is missing, of another version, or does not match its checksum.
   */
  public static ModelSnapshot read(ModelSnapshot manifest, Iterator<ModelSnapshot> chunks) {
    ChunkManifest m = manifest.getManifest();
    if (m == null) {
      return manifest;
    }
    ChunkStream in = new ChunkStream(manifest, chunks);
    List<NamedTensor> tensors;
    List<NamedTensor> optimizerState;
    try {
      BinaryDecoder decoder = DecoderFactory.get().directBinaryDecoder(in, null);
      SpecificDatumReader<NamedTensor> reader = new SpecificDatumReader<>(NamedTensor.class);
      tensors = readArray(decoder, reader);
      optimizerState = readArray(decoder, reader);
      in.finish();
    } catch (IOException | RuntimeException e) {
      if (e instanceof TornSnapshotException torn) {
        throw torn;
      }
      throw new TornSnapshotException(
          describe(manifest) + " does not decode from its chunks: " + e.getMessage(), e);
    }
    ModelSnapshot whole = shallowCopy(manifest);
    whole.setTensors(tensors);
    whole.setOptimizerState(optimizerState);
    // Whole again: published or saved as it is, it must not send readers looking for chunks.
    whole.setManifest(null);
    return whole;
  }

  private static List<NamedTensor> readArray(
      BinaryDecoder decoder, SpecificDatumReader<NamedTensor> reader) throws IOException {
    List<NamedTensor> out = new ArrayList<>();
    for (long n = decoder.readArrayStart(); n != 0; n = decoder.arrayNext()) {
      for (long i = 0; i < n; i++) {
        out.add(reader.read(null, decoder));
      }
    }
    return out;
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
  private static ModelSnapshot shallowCopy(ModelSnapshot snapshot) {
    ModelSnapshot copy = new ModelSnapshot();
    for (Schema.Field f : ModelSnapshot.getClassSchema().getFields()) {
      copy.put(f.pos(), snapshot.get(f.pos()));
    }
    return copy;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }

  /** Cuts what is written into chunk records of {@code chunkBytes} and hands each one out. */
  private static final class ChunkingStream extends OutputStream {
    private final ModelSnapshot snapshot;
    private final BiConsumer<String, ModelSnapshot> out;
    private final byte[] buffer;
    private final MessageDigest digest = sha256();
    private int filled;
    private int index;
    private long total;

    ChunkingStream(ModelSnapshot snapshot, int chunkBytes, BiConsumer<String, ModelSnapshot> out) {
      this.snapshot = snapshot;
      this.out = out;
      this.buffer = new byte[chunkBytes];
    }

    @Override
    public void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      while (len > 0) {
        int n = Math.min(len, buffer.length - filled);
        System.arraycopy(b, off, buffer, filled, n);
        filled += n;
        off += n;
        len -= n;
        if (filled == buffer.length) {
          emit();
        }
      }
    }

    void finish() {
      if (filled > 0 || index == 0) {
        emit();
      }
    }

    private void emit() {
      byte[] data = Arrays.copyOf(buffer, filled);
      digest.update(data);
      total += filled;
      ModelSnapshot chunk =
          ModelSnapshot.newBuilder()
              .setModelName(snapshot.getModelName())
              .setVersion(snapshot.getVersion())
              .setEpoch(snapshot.getEpoch())
              .setCreatedAt(snapshot.getCreatedAt())
              .setArchitecture(snapshot.getArchitecture())
              .setTensors(List.of())
              .setSha256(HexFormat.of().formatHex(sha256().digest(data)))
              .setSeed(snapshot.getSeed())
              .setChunk(new SnapshotChunk(index, ByteBuffer.wrap(data)))
              .build();
      out.accept(chunkKey(snapshot.getModelName(), index), chunk);
      index++;
      filled = 0;
    }
  }

  /** The payload of a chunked snapshot, chunk after chunk, each checked as it arrives. */
  private static final class ChunkStream extends InputStream {
    private final ModelSnapshot manifest;
    private final ChunkManifest m;
    private final Iterator<ModelSnapshot> chunks;
    private final MessageDigest digest = sha256();
    private ByteBuffer current = ByteBuffer.allocate(0);
    private int next;
    private long total;

    ChunkStream(ModelSnapshot manifest, Iterator<ModelSnapshot> chunks) {
      this.manifest = manifest;
      this.m = manifest.getManifest();
      this.chunks = chunks;
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len == 0) {
        return 0;
      }
      while (!current.hasRemaining()) {
        if (next == m.getChunks()) {
          return -1;
        }
        current = take();
      }
      int n = Math.min(len, current.remaining());
      current.get(b, off, n);
      return n;
    }

    private ByteBuffer take() {
      if (!chunks.hasNext()) {
        throw torn("chunk " + next + " is missing");
      }
      ModelSnapshot record = chunks.next();
      SnapshotChunk chunk = record == null ? null : record.getChunk();
      if (chunk == null || chunk.getIndex() != next) {
        throw torn("chunk " + next + " is missing");
      }
      if (record.getVersion() != manifest.getVersion()
          || !record.getModelName().equals(manifest.getModelName())) {
        boolean newer =
            record.getVersion() > manifest.getVersion()
                && record.getModelName().equals(manifest.getModelName());
        throw new TornSnapshotException(
            describe(manifest)
                + " cannot be read: chunk "
                + next
                + " belongs to version "
                + record.getVersion()
                + (newer ? " (overwritten)" : ""),
            newer);
      }
      ByteBuffer data = chunk.getData();
      byte[] bytes = new byte[data.remaining()];
      data.duplicate().get(bytes);
      if (!HexFormat.of().formatHex(sha256().digest(bytes)).equals(record.getSha256())) {
        throw torn("chunk " + next + " does not match its SHA-256");
      }
      boolean last = next == m.getChunks() - 1;
      if (!last && bytes.length != m.getChunkBytes()) {
        throw torn("chunk " + next + " holds " + bytes.length + " bytes, not " + m.getChunkBytes());
      }
      digest.update(bytes);
      total += bytes.length;
      next++;
      return ByteBuffer.wrap(bytes);
    }

    /** After decoding: every chunk was used up, and the payload matches the manifest. */
    void finish() {
      if (current.hasRemaining() || next != m.getChunks()) {
        throw torn("the tensors end before the payload does");
      }
      if (total != m.getPayloadBytes()
          || !HexFormat.of().formatHex(digest.digest()).equals(m.getPayloadSha256())) {
        throw torn("the payload does not match the manifest's size and SHA-256");
      }
    }

    private TornSnapshotException torn(String what) {
      return new TornSnapshotException(describe(manifest) + " cannot be read: " + what);
    }
  }
}
