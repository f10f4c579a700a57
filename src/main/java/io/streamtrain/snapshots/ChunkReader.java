package io.streamtrain.snapshots;

import static io.streamtrain.snapshots.SnapshotChunks.describe;
import static io.streamtrain.snapshots.SnapshotChunks.sha256;
import static io.streamtrain.snapshots.SnapshotChunks.shallowCopy;

import io.streamtrain.schema.ChunkManifest;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.NamedTensor;
import io.streamtrain.schema.SnapshotChunk;
import io.streamtrain.snapshots.SnapshotChunks.TornSnapshotException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;

/**
 * The reading side of {@link SnapshotChunks}: decodes a manifest's tensors while it pulls its chunk
 * records, checking each chunk's SHA-256 as it arrives and the payload's against the manifest.
 */
final class ChunkReader {
  private ChunkReader() {}

  /** See {@link SnapshotChunks#read}. */
  static ModelSnapshot read(ModelSnapshot manifest, Iterator<ModelSnapshot> chunks) {
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
      // Checked and read where the decoded record holds them: no copy of the chunk's bytes.
      ByteBuffer data = chunk.getData();
      int length = data.remaining();
      MessageDigest chunkDigest = sha256();
      chunkDigest.update(data.duplicate());
      if (!HexFormat.of().formatHex(chunkDigest.digest()).equals(record.getSha256())) {
        throw torn("chunk " + next + " does not match its SHA-256");
      }
      boolean last = next == m.getChunks() - 1;
      if (!last && length != m.getChunkBytes()) {
        throw torn("chunk " + next + " holds " + length + " bytes, not " + m.getChunkBytes());
      }
      digest.update(data.duplicate());
      total += length;
      next++;
      return data.duplicate();
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
