package io.streamtrain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.streamtrain.data.Split;
import io.streamtrain.kafka.Partitions;
import io.streamtrain.kafka.TopicReader;
import io.streamtrain.model.StateDicts;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.snapshots.ModelHolder;
import io.streamtrain.snapshots.SnapshotChunks;
import io.streamtrain.snapshots.SnapshotFollower;
import io.streamtrain.snapshots.Snapshots;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A trainer whose snapshots are several chunk records each (an MLP of 1.2 M parameters with Adam,
 * 14.7 MB a snapshot, four chunks, one snapshot every two steps) is killed with SIGKILL as soon as
 * a version's chunks appear on the topic uncommitted: its chunks are there, its manifest is not. A
 * predictor keeps serving the newest complete version and refuses nothing, and the trainer
 * restarted on its state directory resumes from exactly that version and publishes on from there.
 *
 * <p>With an eager log cleaner, the chunks of a version a reader is reading are overwritten by a
 * newer version's and compacted away under it: readers that start while versions are written and
 * cleaned skip such versions without refusing them and end on the newest complete one.
 */
class ChunkedSnapshotCrashIT {
  private static final String MODEL = "big";
  private static final Map<String, String> FLAGS =
      Map.of("architecture", "mlp:784-1536-10", "snapshot-every", "2");
  private static final int EPOCHS = 20;
  private static final Pattern RESUMED =
      Pattern.compile("Resumed model " + MODEL + " from snapshot version (\\d+)");
  // The kill follows the first uncommitted chunk at once; more attempts only on a very slow box.
  private static final int ATTEMPTS = 3;
  // Cleans the snapshot topic within about a second of a segment roll instead of 15 s.
  private static final Map<String, String> EAGER_CLEANER = Map.of("log.cleaner.backoff.ms", "100");

  @Test
  void shouldKeepServingAndResumeFromTheNewestCompleteVersionAfterAKillMidWrite() throws Exception {
    try (Scenario s = Scenario.embedded()) {
      s.createTopics();
      Pipeline pipeline = s.pipeline();
      // Superseded chunks go soon: every read of the topic stays short.
      ChunkedSnapshotCompactionIT.compactEagerly(pipeline, pipeline.names().modelSnapshots());
      s.produce(pipeline.names().imagesTrain(), Scenario.fashionMnist(Split.TRAIN, 2000));
      s.replay(1, EPOCHS); // far more than the test trains: every kill lands mid-run
      Path state = s.newDir("state");
      try (Reader reader = Reader.start(pipeline)) {
        ModelHolder holder = reader.holder();
        SnapshotFollower predictor = reader.follower();
        long complete = -1;
        boolean killedMidWrite = false;
        for (int attempt = 1; attempt <= ATTEMPTS && !killedMidWrite; attempt++) {
          long before = complete;
          try (Scenario.Child trainer = s.launch("trainer-" + attempt, train(s, state))) {
            awaitVersionPast(s, before + 4);
            killedMidWrite = killMidWrite(s, trainer);
            assertEquals(before, resumedVersion(trainer), "resumed from the newest complete");
          }
          long newest = manifestVersions(s, "read_committed");
          ModelSnapshot snapshot =
              Snapshots.latest(
                      pipeline.settings().consumerProps(null),
                      pipeline.names().modelSnapshots(),
                      MODEL,
                      pipeline.serde(ModelSnapshot.class).deserializer())
                  .orElseThrow();
          assertEquals(newest, snapshot.getVersion());
          assertTrue(SnapshotChunks.needsChunks(snapshot), "published as chunks");
          StateDicts.verify(snapshot);
          complete = newest;
          Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> holder.version() == newest);
          assertEquals(0, predictor.rejected(), "the predictor never took a torn version");
          System.err.printf(
              "attempt %d: newest complete version %d, killed mid-write: %s%n",
              attempt, newest, killedMidWrite);
        }
        assertTrue(killedMidWrite, "no kill in " + ATTEMPTS + " landed while chunks were written");

        long resumeFrom = complete;
        try (Scenario.Child restarted = s.launch("restarted", train(s, state))) {
          awaitVersionPast(s, resumeFrom);
          Awaitility.await()
              .atMost(Duration.ofSeconds(60))
              .until(() -> holder.version() > resumeFrom);
          restarted.kill();
          assertEquals(resumeFrom, resumedVersion(restarted), restarted.describe());
        }
        assertEquals(0, predictor.rejected(), "the predictor never took a torn version");
      }
    }
  }

  @Test
  void shouldEndOnTheNewestVersionWithoutRefusalsWhileCompactionRemovesSupersededChunks()
      throws Exception {
    try (Scenario s = Scenario.embedded(EAGER_CLEANER)) {
      s.createTopics();
      Pipeline pipeline = s.pipeline();
      ChunkedSnapshotCompactionIT.compactEagerly(pipeline, pipeline.names().modelSnapshots());
      s.produce(pipeline.names().imagesTrain(), Scenario.fashionMnist(Split.TRAIN, 2000));
      s.replay(1, EPOCHS);
      Path state = s.newDir("state");
      List<Reader> readers = new ArrayList<>();
      try {
        readers.add(Reader.start(pipeline)); // from before the first snapshot
        try (Scenario.Child trainer = s.launch("trainer", train(s, state))) {
          awaitVersionPast(s, 4);
          assertTrue(killMidWrite(s, trainer), "the kill landed while a version was written");
        }
        // Starts while the killed trainer's transaction is open, its chunks on the topic.
        readers.add(Reader.start(pipeline));
        long resumed = manifestVersions(s, "read_committed");
        try (Scenario.Child restarted = s.launch("restarted", train(s, state))) {
          for (int i = 0; i < 3; i++) {
            long committed = awaitUncommittedChunks(s);
            // Starts while a version is written and the cleaner removes superseded chunks.
            readers.add(Reader.start(pipeline));
            ModelSnapshot latest =
                Snapshots.latest(
                        pipeline.settings().consumerProps(null),
                        pipeline.names().modelSnapshots(),
                        MODEL,
                        pipeline.serde(ModelSnapshot.class).deserializer())
                    .orElseThrow();
            assertTrue(latest.getVersion() >= committed, "at least the newest committed then");
            StateDicts.verify(latest);
          }
          awaitVersionPast(s, resumed + 20);
          restarted.stop(); // its final snapshot is the newest version
          assertEquals(resumed, resumedVersion(restarted), restarted.describe());
        }
        long newest = manifestVersions(s, "read_committed");
        for (Reader reader : readers) {
          Awaitility.await()
              .atMost(Duration.ofSeconds(90))
              .until(() -> reader.holder.version() == newest);
        }
        for (Reader reader : readers) {
          System.err.printf(
              "reader %d: ends on version %d, skipped %d superseded versions, refused %d%n",
              readers.indexOf(reader),
              reader.holder.version(),
              reader.follower.superseded(),
              reader.follower.rejected());
          assertEquals(0, reader.follower.rejected(), "refused no version");
        }
      } finally {
        for (Reader reader : readers) {
          reader.close();
        }
      }
    }
  }

  /** A predictor's snapshot follower and the model it serves. */
  private record Reader(ModelHolder holder, SnapshotFollower follower) implements AutoCloseable {
    static Reader start(Pipeline pipeline) {
      ModelHolder holder = new ModelHolder();
      SnapshotFollower follower =
          new SnapshotFollower(
                  pipeline.settings().consumerProps(null),
                  pipeline.names().modelSnapshots(),
                  MODEL,
                  pipeline.serde(ModelSnapshot.class).deserializer(),
                  Device.cpu(),
                  holder)
              .start();
      return new Reader(holder, follower);
    }

    @Override
    public void close() {
      follower.close();
      holder.close();
    }
  }

  /**
   * Kills {@code trainer} as soon as chunks of a version whose manifest is not written yet appear
   * on the topic; says whether the kill landed before that version was committed.
   */
  private static boolean killMidWrite(Scenario s, Scenario.Child trainer) {
    awaitUncommittedChunks(s);
    trainer.kill();
    // Read while the killed trainer's transaction is still open: nothing aborts it yet.
    long newest = manifestVersions(s, "read_committed");
    return chunkVersions(s).stream().anyMatch(v -> v > newest);
  }

  /**
   * Follows the topic uncommitted from its end until chunks of a version come whose manifest has
   * not come yet (a version being written); returns the newest committed version before it.
   */
  private static long awaitUncommittedChunks(Scenario s) {
    long committed = manifestVersions(s, "read_committed");
    Pipeline pipeline = s.pipeline();
    String topic = pipeline.names().modelSnapshots();
    Properties props = pipeline.settings().consumerProps(null);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
    var deserializer = pipeline.serde(ModelSnapshot.class).deserializer();
    byte[] key = MODEL.getBytes(StandardCharsets.UTF_8);
    byte[] prefix = SnapshotChunks.chunkKeyPrefix(MODEL);
    long[] manifests = {committed};
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions = Partitions.of(consumer, topic);
      consumer.assign(partitions);
      consumer.seekToEnd(partitions);
      Awaitility.await("chunks of a version being written")
          .atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ZERO)
          .until(
              () -> {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                  if (r.key() == null || r.value() == null) {
                    continue;
                  }
                  long version = deserializer.deserialize(topic, r.value()).getVersion();
                  if (Arrays.equals(r.key(), key)) {
                    manifests[0] = Math.max(manifests[0], version);
                  } else if (SnapshotChunks.chunkIndex(r.key(), prefix) >= 0
                      && version > manifests[0]) {
                    return true;
                  }
                }
                return false;
              });
    }
    return committed;
  }

  private static void awaitVersionPast(Scenario s, long version) {
    s.await(
        "a committed snapshot past version " + version,
        Duration.ofMinutes(3),
        () -> manifestVersions(s, "read_committed") > version);
  }

  /** The newest version of the model's manifests (or one-record snapshots), -1 for none. */
  private static long manifestVersions(Scenario s, String isolation) {
    byte[] key = MODEL.getBytes(StandardCharsets.UTF_8);
    long[] newest = {-1};
    read(
        s,
        isolation,
        (k, snapshot) -> {
          if (Arrays.equals(k, key)) {
            newest[0] = Math.max(newest[0], snapshot.getVersion());
          }
        });
    return newest[0];
  }

  /** The versions of every chunk record of the model, committed, open or aborted. */
  private static List<Long> chunkVersions(Scenario s) {
    byte[] prefix = SnapshotChunks.chunkKeyPrefix(MODEL);
    List<Long> versions = new ArrayList<>();
    read(
        s,
        "read_uncommitted",
        (k, snapshot) -> {
          if (SnapshotChunks.chunkIndex(k, prefix) >= 0) {
            versions.add(snapshot.getVersion());
          }
        });
    return versions;
  }

  private static void read(
      Scenario s, String isolation, java.util.function.BiConsumer<byte[], ModelSnapshot> visitor) {
    Pipeline pipeline = s.pipeline();
    String topic = pipeline.names().modelSnapshots();
    Properties props = pipeline.settings().consumerProps(null);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
    var deserializer = pipeline.serde(ModelSnapshot.class).deserializer();
    TopicReader.read(
        props,
        topic,
        r -> {
          if (r.key() != null && r.value() != null) {
            visitor.accept(r.key(), deserializer.deserialize(topic, r.value()));
          }
        });
  }

  private static List<String> train(Scenario s, Path state) {
    return s.trainCommand(EPOCHS, true, MODEL, state, FLAGS);
  }

  /** The version the process resumed from, -1 for a fresh start. */
  private static long resumedVersion(Scenario.Child child) {
    Matcher m = RESUMED.matcher(child.stdout());
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }
}
