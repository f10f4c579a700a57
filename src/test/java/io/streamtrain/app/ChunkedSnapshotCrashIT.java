package io.streamtrain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.streamtrain.data.Split;
import io.streamtrain.kafka.TopicReader;
import io.streamtrain.model.StateDicts;
import io.streamtrain.records.SnapshotChunks;
import io.streamtrain.records.Snapshots;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.serving.ModelHolder;
import io.streamtrain.serving.SnapshotFollower;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A trainer whose snapshots are several chunk records each (an MLP of 1.2 M parameters with Adam,
 * 14.7 MB a snapshot, four chunks, one snapshot every two steps) is killed with SIGKILL until a
 * kill lands while a version is being written: its chunks are on the topic, its manifest is not. A
 * predictor keeps serving the newest complete version and refuses nothing, and the trainer
 * restarted on its state directory resumes from exactly that version and publishes on from there.
 */
class ChunkedSnapshotCrashIT {
  private static final String MODEL = "big";
  private static final Map<String, String> FLAGS =
      Map.of("architecture", "mlp:784-1536-10", "snapshot-every", "2");
  private static final int EPOCHS = 20;
  private static final Pattern RESUMED =
      Pattern.compile("Resumed model " + MODEL + " from snapshot version (\\d+)");
  // A kill lands mid-write in some attempts only (the write is a small part of the run).
  private static final int ATTEMPTS = 12;

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
      try (ModelHolder holder = new ModelHolder();
          SnapshotFollower predictor =
              new SnapshotFollower(
                      pipeline.settings().consumerProps(null),
                      pipeline.names().modelSnapshots(),
                      MODEL,
                      pipeline.serde(ModelSnapshot.class).deserializer(),
                      Device.cpu(),
                      holder)
                  .start()) {
        long complete = -1;
        boolean killedMidWrite = false;
        for (int attempt = 1; attempt <= ATTEMPTS && !killedMidWrite; attempt++) {
          long before = complete;
          try (Scenario.Child trainer = s.launch("trainer-" + attempt, train(s, state))) {
            awaitVersionPast(s, before + 4);
            trainer.kill();
            assertEquals(before, resumedVersion(trainer), "resumed from the newest complete");
          }
          // Read while the killed trainer's transaction is still open: nothing cleans it yet.
          long newest = manifestVersions(s, "read_committed");
          killedMidWrite = chunkVersions(s).stream().anyMatch(v -> v > newest);
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
    List<Long> versions = new java.util.ArrayList<>();
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
