package io.streamtrain.snapshots;

import static io.streamtrain.snapshots.SnapshotChunks.MAX_CHUNK_BYTES;
import static io.streamtrain.snapshots.SnapshotChunks.SLICE_BYTES;
import static io.streamtrain.snapshots.SnapshotChunks.chunkKey;
import static io.streamtrain.snapshots.SnapshotChunks.sha256;
import static io.streamtrain.snapshots.SnapshotChunks.shallowCopy;

import io.streamtrain.schema.ChunkManifest;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.NamedTensor;
import io.streamtrain.schema.SnapshotChunk;
import io.streamtrain.snapshots.SnapshotChunks.StreamedTensor;
import io.streamtrain.snapshots.SnapshotChunks.TensorObserver;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * The writing side of {@link SnapshotChunks}: encodes a snapshot's tensors into chunk records of a
 * fixed size, handing each one out as soon as it is full, then the manifest.
 */
public final class ChunkWriter {
  private ChunkWriter() {}

  /** See {@link SnapshotChunks#write(ModelSnapshot, int, BiConsumer)}. */
  static ModelSnapshot write(
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
   * As {@link SnapshotChunks#write(ModelSnapshot, int, BiConsumer)}, reading the tensors slice by
   * slice as they are encoded: the same chunk records and the same manifest as the tensors in
   * {@code header} would give, with one chunk and one slice in memory. {@code observer} sees every
   * tensor as it is encoded; {@code sha256} is asked for the manifest's snapshot SHA-256 once all
   * have been.
   */
  public static ModelSnapshot write(
      ModelSnapshot header,
      List<? extends StreamedTensor> tensors,
      List<? extends StreamedTensor> optimizerState,
      TensorObserver observer,
      Supplier<String> sha256,
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
}
