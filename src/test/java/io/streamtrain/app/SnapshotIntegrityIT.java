package io.streamtrain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.streamtrain.data.Split;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.NamedTensor;
import io.streamtrain.snapshots.ModelHolder;
import io.streamtrain.snapshots.SnapshotFollower;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A published snapshot with one flipped byte, republished as the newest: the trainer refuses to
 * resume from it with one line and a non-zero exit, {@code --snapshot-version} resumes from an
 * exact good version (ending with the parameters of a run that never saw the corruption), {@code
 * --from-scratch} starts over, and a running predictor keeps serving its last good model.
 */
class SnapshotIntegrityIT {
  private static final int IMAGES = 1000;
  // 1000 images in windows of 512: 8 + 8 steps per epoch.
  private static final int STEPS_PER_EPOCH = 16;

  @Test
  void shouldRefuseACorruptedSnapshotUnlessToldWhereToStartAndKeepServingTheLastGoodModel()
      throws Exception {
    try (Scenario s = Scenario.embedded()) {
      s.createTopics();
      Pipeline pipeline = s.pipeline();
      s.produce(pipeline.names().imagesTrain(), Scenario.fashionMnist(Split.TRAIN, IMAGES));
      s.replay(1, 1);
      Path state = s.newDir("state");
      trainToEnd(s, "epoch-1", "m", state, 1);
      ModelSnapshot good = s.awaitSnapshot("m", Scenario.endOfEpoch(1), Duration.ofSeconds(30));
      assertEquals(STEPS_PER_EPOCH, good.getVersion());

      try (ModelHolder holder = new ModelHolder();
          SnapshotFollower predictor =
              new SnapshotFollower(
                      pipeline.settings().consumerProps(null),
                      pipeline.names().modelSnapshots(),
                      "m",
                      pipeline.serde(ModelSnapshot.class).deserializer(),
                      Device.cpu(),
                      holder)
                  .start()) {
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> holder.version() == 16);

        ModelSnapshot corrupted = flipOneByte(good, good.getVersion() + 1);
        s.publish(corrupted);
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> predictor.rejected() >= 1);
        assertEquals(16, holder.version(), "the predictor keeps serving the last good model");

        s.replay(2, 1);
        try (Scenario.Child refused = s.launch("refused", train(s, "m", state, 2, List.of()))) {
          assertNotEquals(0, refused.awaitExit(Duration.ofMinutes(2)), refused.describe());
          List<String> lines = refused.stderr().lines().filter(l -> !l.isBlank()).toList();
          assertEquals(1, lines.size(), "one line: " + refused.describe());
          String line = lines.get(0);
          assertTrue(line.startsWith("streamtrain: "), line);
          assertTrue(line.contains("version 17") && line.contains("SHA-256"), line);
          assertTrue(line.contains("--snapshot-version") && line.contains("--from-scratch"), line);
        }

        // A run that never saw the corruption, for comparison.
        try (Scenario.Child reference =
            s.launch("reference", train(s, "ref", s.newDir("ref"), 2, List.of()))) {
          trainToEnd(s, "resumed", "m", state, 2, "--snapshot-version", "16");
          assertEquals(0, reference.awaitExit(Duration.ofMinutes(3)), reference.describe());
        }
        ModelSnapshot resumed =
            s.awaitSnapshot("m", Scenario.endOfEpoch(2), Duration.ofSeconds(30));
        assertEquals(17 + STEPS_PER_EPOCH, resumed.getVersion(), "versions continue after 17");
        ModelSnapshot reference =
            s.awaitSnapshot("ref", Scenario.endOfEpoch(2), Duration.ofSeconds(30));
        assertTrue(
            Scenario.maxAbsDifference(reference, resumed) <= 1e-5,
            "resumed from exactly version 16: " + Scenario.maxAbsDifference(reference, resumed));
        Awaitility.await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> holder.version() == resumed.getVersion());

        ModelSnapshot corruptedAgain = flipOneByte(resumed, resumed.getVersion() + 1);
        s.publish(corruptedAgain);
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> predictor.rejected() >= 2);
        s.replay(3, 1);
        trainToEnd(s, "scratch", "m", state, 3, "--from-scratch");
        ModelSnapshot restarted =
            s.awaitSnapshot("m", Scenario.endOfEpoch(3), Duration.ofSeconds(30));
        assertEquals(corruptedAgain.getVersion() + STEPS_PER_EPOCH, restarted.getVersion());
        Awaitility.await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> holder.version() == restarted.getVersion());
      }
    }
  }

  /** Runs {@code train} in a child JVM and asserts it ends normally. */
  private static void trainToEnd(
      Scenario s, String name, String model, Path state, int epochs, String... extra) {
    try (Scenario.Child child = s.launch(name, train(s, model, state, epochs, List.of(extra)))) {
      assertEquals(0, child.awaitExit(Duration.ofMinutes(3)), child.describe());
    }
  }

  private static List<String> train(
      Scenario s, String model, Path state, int epochs, List<String> extra) {
    List<String> args = s.trainCommand(epochs, true, model, state, Map.of());
    args.addAll(extra);
    return args;
  }

  /** {@code snapshot} as {@code version} with one bit of its first tensor flipped. */
  private static ModelSnapshot flipOneByte(ModelSnapshot snapshot, long version) {
    List<NamedTensor> tensors = new ArrayList<>(snapshot.getTensors());
    NamedTensor first = tensors.get(0);
    ByteBuffer data = first.getData().duplicate();
    byte[] bytes = new byte[data.remaining()];
    data.get(bytes);
    bytes[1234] ^= 0x01;
    tensors.set(0, NamedTensor.newBuilder(first).setData(ByteBuffer.wrap(bytes)).build());
    return ModelSnapshot.newBuilder(snapshot).setVersion(version).setTensors(tensors).build();
  }
}
