package io.streamtrain.snapshots;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.NamedTensor;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.junit.jupiter.api.Test;

class SnapshotChunksTest {
  private static final int CHUNK = 1000;

  /** A snapshot with random tensors of {@code floats} float32 values each. */
  static ModelSnapshot snapshot(String model, long version, int... floats) {
    Random random = new Random(version);
    List<NamedTensor> tensors = new ArrayList<>();
    for (int i = 0; i < floats.length; i++) {
      byte[] data = new byte[floats[i] * 4];
      random.nextBytes(data);
      tensors.add(
          new NamedTensor(
              "layer" + i + ".weight",
              List.of((long) floats[i]),
              "float32",
              ByteBuffer.wrap(data)));
    }
    byte[] moment = new byte[64];
    random.nextBytes(moment);
    List<NamedTensor> optimizer =
        List.of(new NamedTensor("adam.m.0", List.of(16L), "float32", ByteBuffer.wrap(moment)));
    return ModelSnapshot.newBuilder()
        .setModelName(model)
        .setVersion(version)
        .setEpoch(2)
        .setCreatedAt(Instant.ofEpochMilli(1_700_000_000_000L))
        .setArchitecture("mlp:4-4")
        .setTensors(tensors)
        .setOptimizerState(optimizer)
        .setSha256(io.streamtrain.model.StateDicts.sha256(tensors, optimizer))
        .setInputOffsets(Map.of("train.feed-0", 42L))
        .setEpochComplete(true)
        .build();
  }

  record Sent(String key, ModelSnapshot record) {}

  private static List<Sent> write(ModelSnapshot snapshot) {
    List<Sent> sent = new ArrayList<>();
    SnapshotChunks.write(snapshot, CHUNK, (k, r) -> sent.add(new Sent(k, r)));
    return sent;
  }

  @Test
  void shouldWriteChunksThenTheManifestAndReadTheSameSnapshotBack() {
    ModelSnapshot original = snapshot("m", 7, 1000, 10, 600);
    List<Sent> sent = write(original);
    Sent manifest = sent.get(sent.size() - 1);
    assertEquals("m", manifest.key());
    assertTrue(manifest.record().getTensors().isEmpty());
    int chunks = manifest.record().getManifest().getChunks();
    assertEquals(chunks + 1, sent.size());
    assertTrue(chunks >= 6, "payload of ~6.5 kB in chunks of 1000 bytes: " + chunks);
    for (int i = 0; i < chunks; i++) {
      assertEquals("m/chunk/" + i, sent.get(i).key());
      assertEquals(7, sent.get(i).record().getVersion());
      assertEquals(i, sent.get(i).record().getChunk().getIndex());
    }
    ModelSnapshot back =
        SnapshotChunks.read(
            manifest.record(), sent.subList(0, chunks).stream().map(Sent::record).iterator());
    assertEquals(original.getSha256(), back.getSha256());
    assertNull(back.getManifest(), "whole again: republished as is, it is one record");
    io.streamtrain.model.StateDicts.verify(back); // recomputes the SHA-256 from the tensors
    assertEquals(original.getTensors().size(), back.getTensors().size());
    for (int i = 0; i < original.getTensors().size(); i++) {
      assertEquals(original.getTensors().get(i).getName(), back.getTensors().get(i).getName());
      assertArrayEquals(
          bytes(original.getTensors().get(i).getData()), bytes(back.getTensors().get(i).getData()));
    }
    assertEquals(original.getOptimizerState(), back.getOptimizerState());
    assertEquals(original.getInputOffsets(), back.getInputOffsets());
    assertTrue(back.getEpochComplete());
    // The original keeps its tensors: writing shares, never moves them.
    assertEquals(4000, original.getTensors().get(0).getData().remaining());
  }

  @Test
  void shouldRefuseAChunkOfAnotherVersionOrAMissingOne() {
    List<Sent> v1 = write(snapshot("m", 1, 1000));
    List<Sent> v2 = write(snapshot("m", 2, 1000));
    ModelSnapshot manifest = v2.get(v2.size() - 1).record();
    List<ModelSnapshot> mixed = new ArrayList<>();
    v2.subList(0, v2.size() - 1).forEach(s -> mixed.add(s.record()));
    mixed.set(1, v1.get(1).record());
    var overwritten =
        assertThrows(
            SnapshotChunks.TornSnapshotException.class,
            () -> SnapshotChunks.read(manifest, mixed.iterator()));
    assertTrue(overwritten.getMessage().contains("Version 2 of model m"), overwritten.getMessage());
    assertTrue(overwritten.getMessage().contains("chunk 1 belongs to version 1"));

    mixed.set(1, null); // compacted away
    var missing =
        assertThrows(
            SnapshotChunks.TornSnapshotException.class,
            () -> SnapshotChunks.read(manifest, mixed.iterator()));
    assertTrue(missing.getMessage().contains("chunk 1 is missing"), missing.getMessage());
    assertFalse(overwritten.superseded(), "an older version's chunk: this one's was never there");
    assertFalse(missing.superseded(), "no chunk of its index before the manifest: damaged");
  }

  @Test
  void shouldTellAVersionANewerOneOverwroteFromADamagedOne() {
    List<Sent> v1 = write(snapshot("m", 1, 1000));
    List<Sent> v2 = write(snapshot("m", 2, 1000));
    ModelSnapshot manifest = v1.get(v1.size() - 1).record();
    List<ModelSnapshot> mixed = new ArrayList<>();
    v1.subList(0, v1.size() - 1).forEach(s -> mixed.add(s.record()));
    mixed.set(2, v2.get(2).record());
    var overwritten =
        assertThrows(
            SnapshotChunks.TornSnapshotException.class,
            () -> SnapshotChunks.read(manifest, mixed.iterator()));
    assertTrue(overwritten.superseded(), overwritten.getMessage());
    assertTrue(overwritten.getMessage().contains("chunk 2 belongs to version 2 (overwritten)"));

    var compacted = SnapshotChunks.supersededAt(manifest, 3);
    assertTrue(compacted.superseded());
    assertTrue(compacted.getMessage().startsWith("Version 1 of model m ("), compacted.getMessage());
    assertTrue(compacted.getMessage().contains("chunk 3 was compacted away"));

    List<ModelSnapshot> otherModel = new ArrayList<>();
    write(snapshot("n", 2, 1000)).forEach(s -> otherModel.add(s.record()));
    var foreign =
        assertThrows(
            SnapshotChunks.TornSnapshotException.class,
            () -> SnapshotChunks.read(manifest, otherModel.iterator()));
    assertFalse(foreign.superseded(), "another model's chunk supersedes nothing");
  }

  @Test
  void shouldRefuseAChunkWhoseBytesChanged() {
    List<Sent> sent = write(snapshot("m", 3, 700));
    ModelSnapshot manifest = sent.get(sent.size() - 1).record();
    List<ModelSnapshot> chunks = new ArrayList<>();
    sent.subList(0, sent.size() - 1).forEach(s -> chunks.add(s.record()));
    chunks
        .get(0)
        .getChunk()
        .getData()
        .put(5, (byte) (chunks.get(0).getChunk().getData().get(5) ^ 1));
    var e =
        assertThrows(
            SnapshotChunks.TornSnapshotException.class,
            () -> SnapshotChunks.read(manifest, chunks.iterator()));
    assertTrue(e.getMessage().contains("SHA-256"), e.getMessage());
  }

  @Test
  void shouldKeepSmallSnapshotsInOneRecord() {
    ModelSnapshot small = snapshot("m", 1, 100);
    assertFalse(SnapshotChunks.needsChunks(small));
    assertTrue(SnapshotChunks.needsChunks(snapshot("m", 1, 1000), CHUNK));
    // The quickstart MLP (669,706 float32 parameters, plain SGD) stays one record.
    long mlp = 669_706L * 4;
    assertTrue(mlp < SnapshotChunks.ONE_RECORD_MAX_BYTES);
    // With Adam's two moment buffers too: 8 MB fitted one record before chunks, and still does.
    assertTrue(3 * mlp < SnapshotChunks.ONE_RECORD_MAX_BYTES);
    assertNull(SnapshotChunks.read(small, List.<ModelSnapshot>of().iterator()).getManifest());
  }

  @Test
  void shouldTellChunkKeysOfItsModelOnly() {
    byte[] prefix = SnapshotChunks.chunkKeyPrefix("m");
    assertEquals(12, SnapshotChunks.chunkIndex(key("m/chunk/12"), prefix));
    assertEquals(-1, SnapshotChunks.chunkIndex(key("m"), prefix));
    assertEquals(-1, SnapshotChunks.chunkIndex(key("mm/chunk/1"), prefix));
    assertEquals(-1, SnapshotChunks.chunkIndex(key("m/chunk/x"), prefix));
    assertEquals(-1, SnapshotChunks.chunkIndex(null, prefix));
  }

  @Test
  void shouldStayFullyCompatibleWithTheSchemaBeforeChunks() {
    Schema now = ModelSnapshot.getClassSchema();
    List<Schema.Field> before = new ArrayList<>();
    for (Schema.Field f : now.getFields()) {
      if (!f.name().equals("manifest") && !f.name().equals("chunk")) {
        before.add(new Schema.Field(f, f.schema()));
      }
    }
    Schema old =
        Schema.createRecord(now.getName(), now.getDoc(), now.getNamespace(), false, before);
    assertEquals(now.getFields().size() - 2, old.getFields().size());
    // BACKWARD: new readers read old snapshots; FORWARD: old readers read new records.
    assertEquals(
        SchemaCompatibilityType.COMPATIBLE,
        SchemaCompatibility.checkReaderWriterCompatibility(now, old).getType());
    assertEquals(
        SchemaCompatibilityType.COMPATIBLE,
        SchemaCompatibility.checkReaderWriterCompatibility(old, now).getType());
  }

  private static byte[] key(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] out = new byte[buffer.remaining()];
    buffer.duplicate().get(out);
    return out;
  }
}
