package io.streamtrain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.model.StateDicts;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.NamedTensor;
import io.streamtrain.snapshots.ChunkLocations;
import io.streamtrain.snapshots.SnapshotChunks;
import io.streamtrain.snapshots.Snapshots;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Chunked snapshots on a real broker's compacted topic: a version of eight chunks, then a newer one
 * of four (the old version's chunks 4 to 7 outlive it), then an aborted write and one left open.
 * After the cleaner compacted the topic (small segments, a low dirty ratio), the newest complete
 * version reads back bit-identical, and a reader that starts while a version is being written gets
 * the previous complete one.
 */
class ChunkedSnapshotCompactionIT {
  private static final int MIB = 1024 * 1024;
  private static final List<Integer> EIGHT = List.of(0, 1, 2, 3, 4, 5, 6, 7);

  @Test
  void shouldReadTheNewestCompleteVersionBitIdenticalAfterCompaction() throws Exception {
    try (Scenario s = Scenario.embedded()) {
      s.createTopics();
      Pipeline pipeline = s.pipeline();
      String topic = pipeline.names().modelSnapshots();
      String model = pipeline.settings().modelName();
      compactEagerly(pipeline, topic);

      ModelSnapshot v1 = randomSnapshot(model, 1, 30 * MIB);
      ModelSnapshot v2 = randomSnapshot(model, 2, 14 * MIB);
      pipeline.publishSnapshot(v1);
      // Where version 1's chunks are, as a reader that got to its manifest noted them. The commit
      // markers follow the commit asynchronously: read until the manifest is readable.
      byte[] modelKey = model.getBytes(StandardCharsets.UTF_8);
      List<ConsumerRecord<byte[], byte[]>> withV1 = new ArrayList<>();
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                withV1.clear();
                withV1.addAll(s.readAll(topic));
                return withV1.stream().anyMatch(r -> Arrays.equals(r.key(), modelKey));
              });
      ChunkLocations v1Chunks = new ChunkLocations(model);
      withV1.forEach(v1Chunks::offer);
      ModelSnapshot v1Manifest = manifestOnTopic(s, topic, model);
      pipeline.publishSnapshot(v2);
      assertEquals(EIGHT, chunkIndexes(s, topic, model));
      writeChunksOf(pipeline, topic, randomSnapshot(model, 3, 14 * MIB), false); // aborted

      // A version being written (its transaction open): a reader starting now gets version 2.
      try (KafkaProducer<byte[], byte[]> open = transactional(pipeline, "open-writer")) {
        open.beginTransaction();
        sendChunks(pipeline, open, topic, randomSnapshot(model, 4, 14 * MIB), 2);
        open.flush();
        assertEquals(2, pipeline.latestSnapshot().orElseThrow().getVersion());
        open.abortTransaction();
      }

      // Roll segments with small records of another model until the cleaner has run.
      Awaitility.await()
          .atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofSeconds(1))
          .until(
              () -> {
                pipeline.publishSnapshot(randomSnapshot("other", System.nanoTime(), 1024));
                return countKey(s, topic, SnapshotChunks.chunkKey(model, 0)) == 1
                    && countKey(s, topic, model) == 1;
              });

      // Chunks 4 to 7 of version 1 outlived it (version 2 has four): harmless, never read.
      assertEquals(EIGHT, chunkIndexes(s, topic, model));
      assertEquals(4, manifestOnTopic(s, topic, model).getManifest().getChunks());
      ModelSnapshot latest = pipeline.latestSnapshot().orElseThrow();
      assertEquals(2, latest.getVersion());
      assertNull(latest.getManifest(), "read back whole");
      assertEquals(v2.getSha256(), latest.getSha256());
      StateDicts.verify(latest); // recomputed from the tensors read back
      assertEquals(sha256(v2), sha256(latest), "bit-identical tensors and optimizer state");
      assertNull(v2.getManifest(), "publishing leaves the caller's snapshot whole");

      // A reader that noted version 1's chunks before the cleaner ran: superseded, not damaged.
      var superseded =
          assertThrows(
              SnapshotChunks.TornSnapshotException.class,
              () ->
                  Snapshots.complete(
                      pipeline.settings().consumerProps(null),
                      topic,
                      v1Manifest,
                      v1Chunks,
                      pipeline.serde(ModelSnapshot.class).deserializer()));
      assertTrue(superseded.superseded(), superseded.getMessage());
      assertTrue(superseded.getMessage().contains("Version 1 of model"), superseded.getMessage());
    }
  }

  /** Small segments (two chunks each) that roll fast, and a cleaner that starts at once. */
  static void compactEagerly(Pipeline pipeline, String topic) throws Exception {
    try (Admin admin = Admin.create(pipeline.settings().adminProps())) {
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      List<AlterConfigOp> ops =
          List.of(
              set(TopicConfig.SEGMENT_BYTES_CONFIG, String.valueOf(8 * MIB)),
              set(TopicConfig.SEGMENT_MS_CONFIG, "100"),
              set(TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG, "0.01"),
              set(TopicConfig.DELETE_RETENTION_MS_CONFIG, "100"));
      admin.incrementalAlterConfigs(Map.of(resource, ops)).all().get();
    }
  }

  private static AlterConfigOp set(String name, String value) {
    return new AlterConfigOp(new ConfigEntry(name, value), AlterConfigOp.OpType.SET);
  }

  private static KafkaProducer<byte[], byte[]> transactional(Pipeline pipeline, String id) {
    Properties props = pipeline.settings().producerProps();
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id);
    KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props);
    producer.initTransactions();
    return producer;
  }

  /** Writes all chunks and the manifest of {@code snapshot}, then commits or aborts. */
  private static void writeChunksOf(
      Pipeline pipeline, String topic, ModelSnapshot snapshot, boolean commit) {
    try (KafkaProducer<byte[], byte[]> producer = transactional(pipeline, "aborting-writer")) {
      producer.beginTransaction();
      sendChunks(pipeline, producer, topic, snapshot, Integer.MAX_VALUE);
      if (commit) {
        producer.commitTransaction();
      } else {
        producer.flush();
        producer.abortTransaction();
      }
    }
  }

  /** Sends up to {@code limit} of the records a chunked {@code snapshot} is written as. */
  private static void sendChunks(
      Pipeline pipeline,
      KafkaProducer<byte[], byte[]> producer,
      String topic,
      ModelSnapshot snapshot,
      int limit) {
    var serializer = pipeline.serde(ModelSnapshot.class).serializer();
    int[] sent = {0};
    SnapshotChunks.write(
        snapshot,
        SnapshotChunks.DEFAULT_CHUNK_BYTES,
        (key, record) -> {
          if (sent[0]++ < limit) {
            producer.send(
                new ProducerRecord<>(
                    topic,
                    key.getBytes(StandardCharsets.UTF_8),
                    serializer.serialize(topic, record)));
          }
        });
  }

  /** The model's one manifest record, as compaction left it. */
  private static ModelSnapshot manifestOnTopic(Scenario s, String topic, String model) {
    byte[] key = model.getBytes(StandardCharsets.UTF_8);
    var deserializer = s.pipeline().serde(ModelSnapshot.class).deserializer();
    return s.readAll(topic).stream()
        .filter(r -> r.key() != null && java.util.Arrays.equals(r.key(), key))
        .map(r -> deserializer.deserialize(topic, r.value()))
        .reduce((first, second) -> second)
        .orElseThrow();
  }

  private static long countKey(Scenario s, String topic, String key) {
    byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
    return s.readAll(topic).stream()
        .filter(r -> r.key() != null && java.util.Arrays.equals(r.key(), bytes))
        .count();
  }

  private static List<Integer> chunkIndexes(Scenario s, String topic, String model) {
    byte[] prefix = SnapshotChunks.chunkKeyPrefix(model);
    return s.readAll(topic).stream()
        .map(ConsumerRecord::key)
        .mapToInt(k -> SnapshotChunks.chunkIndex(k, prefix))
        .filter(i -> i >= 0)
        .distinct()
        .sorted()
        .boxed()
        .toList();
  }

  /** A snapshot whose float32 tensors (random bytes) take about {@code bytes}. */
  static ModelSnapshot randomSnapshot(String model, long version, int bytes) {
    Random random = new Random(version);
    List<NamedTensor> tensors = new ArrayList<>();
    int left = bytes;
    for (int i = 0; left > 0; i++) {
      int size = Math.min(left, 3 * MIB + 12_345) / 4 * 4;
      byte[] data = new byte[Math.max(4, size)];
      random.nextBytes(data);
      tensors.add(
          new NamedTensor(
              "layer" + i + ".weight",
              List.of((long) data.length / 4),
              "float32",
              ByteBuffer.wrap(data)));
      left -= data.length;
    }
    List<NamedTensor> optimizer = List.of();
    return ModelSnapshot.newBuilder()
        .setModelName(model)
        .setVersion(version)
        .setEpoch(1)
        .setCreatedAt(Instant.now())
        .setArchitecture("mlp:4-4")
        .setTensors(tensors)
        .setOptimizerState(optimizer)
        .setSha256(StateDicts.sha256(tensors, optimizer))
        .build();
  }

  /** SHA-256 over every tensor's name and bytes, tensors then optimizer state. */
  private static String sha256(ModelSnapshot snapshot) throws Exception {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    for (List<NamedTensor> list : List.of(snapshot.getTensors(), snapshot.getOptimizerState())) {
      for (NamedTensor t : list) {
        digest.update(t.getName().getBytes(StandardCharsets.UTF_8));
        digest.update(t.getData().duplicate());
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }
}
