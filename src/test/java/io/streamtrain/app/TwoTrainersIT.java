package io.streamtrain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.snapshots.SnapshotMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Two {@code train --epochs 12} of one model: one trains, the other says so in one line and stands
 * by; both exit 0 once the model is trained through epoch 12, whoever trained it, and the model's
 * versions strictly increase. A standby takes over when the active trainer is killed.
 */
class TwoTrainersIT {
  private static final String STANDING_BY = "already has an active trainer";
  private static final String TAKING_OVER = "Taking over as the active trainer";
  private static final int TAKEOVER_EPOCHS = 12;
  private static final Map<String, String> FLAGS = Map.of("snapshot-every", "5");

  @Test
  void shouldTrainOnceAndEndBothWhenStartedTogetherOrOneAfterTheOtherWithATakeoverOnKill() {
    try (Scenario s = Scenario.embedded()) {
      s.createTopics();
      s.produce(s.pipeline().names().imagesTrain(), TestPipelines.images("dataset", 2048, 1));
      s.produce(s.pipeline().names().imagesTest(), TestPipelines.images("test", 200, 2));
      // Every epoch of both runs up front: twelve epochs (about 20 s of training) outlast the
      // seconds between the two JVMs' starts, so the second to join finds the first still active.
      s.replay(TAKEOVER_EPOCHS);

      // Started together: either may become the active one.
      try (Scenario.Child a = s.launch("together-a", train(s, "together", TAKEOVER_EPOCHS));
          Scenario.Child b = s.launch("together-b", train(s, "together", TAKEOVER_EPOCHS))) {
        assertEquals(0, a.awaitExit(Duration.ofMinutes(4)), a.describe());
        assertEquals(0, b.awaitExit(Duration.ofMinutes(4)), b.describe());
        assertTrue(
            a.stderr().contains(STANDING_BY) || b.stderr().contains(STANDING_BY),
            a.describe() + "\n" + b.describe());
      }
      assertTrainedOnce(s, "together", TAKEOVER_EPOCHS);

      // One after the other, the active one killed: the standby takes over and finishes. Kafka
      // Streams may hand the task to the newcomer at its rebalance, so either may be the standby.
      // They train one epoch more than the feed holds until the kill, so the active one is still
      // at work when it is killed, however long the second JVM took to join: a trainer that had
      // finished would have left the group, and its standby, taking over at once with nothing
      // left to train, would publish no snapshot.
      int epochs = TAKEOVER_EPOCHS + 1;
      try (Scenario.SnapshotLog log = s.snapshotLog("takeover");
          Scenario.Child first = s.launch("first", train(s, "takeover", epochs))) {
        log.await(v -> v.getVersion() >= 5, Duration.ofMinutes(3));
        try (Scenario.Child second = s.launch("second", train(s, "takeover", epochs))) {
          s.await(
              "one of the trainers standing by",
              Duration.ofMinutes(2),
              () ->
                  first.stderr().contains(STANDING_BY)
                      || second.stderr().contains(STANDING_BY)
                      || !first.isAlive()
                      || !second.isAlive());
          Scenario.Child standby = second.stderr().contains(STANDING_BY) ? second : first;
          Scenario.Child active = standby == second ? first : second;
          assertTrue(standby.stderr().contains(STANDING_BY), s.evidence());
          assertEquals(1, count(standby.stderr(), STANDING_BY), standby.describe());
          assertTrue(active.isAlive(), "the active trainer ended before the kill" + s.evidence());
          long killedAt = System.nanoTime();
          active.kill();
          // Everything the killed trainer committed is readable now; its open transaction aborts.
          long before = log.refresh().stream().mapToLong(ModelSnapshot::getVersion).max().orElse(0);
          assertFalse(
              log.refresh().stream().anyMatch(Scenario.endOfEpoch(epochs)),
              "no epoch " + epochs + " before its replay");
          s.replay(epochs, 1);
          awaitLine(s, standby, TAKING_OVER, Duration.ofMinutes(2));
          double tookOver = seconds(killedAt);
          log.await(v -> v.getVersion() > before, Duration.ofMinutes(2));
          double firstSnapshot = seconds(killedAt);
          System.err.printf(
              "standby took over %.1f s after the kill; its first snapshot %.1f s after the kill,"
                  + " %.1f s after taking over%n",
              tookOver, firstSnapshot, firstSnapshot - tookOver);
          assertEquals(0, standby.awaitExit(Duration.ofMinutes(4)), s.evidence());
        }
      }
      assertTrainedOnce(s, "takeover", epochs);
    }
  }

  private static List<String> train(Scenario s, String model, int epochs) {
    List<String> args = new ArrayList<>(List.of("train", "--epochs", String.valueOf(epochs)));
    args.addAll(List.of("--config", s.fastRecoveryConfig().toString()));
    Path state = s.newDir(model + "-state");
    args.addAll(s.commandLine(model, state, FLAGS));
    return args;
  }

  /**
   * Versions strictly increase, positions never go back, and the model ends at its epochs' steps:
   * no step applied twice or lost.
   */
  private static void assertTrainedOnce(Scenario s, String model, int epochs) {
    List<ModelSnapshot> snapshots = s.snapshots(model);
    for (int i = 1; i < snapshots.size(); i++) {
      ModelSnapshot a = snapshots.get(i - 1);
      ModelSnapshot b = snapshots.get(i);
      String where = model + ": version " + b.getVersion() + " after " + a.getVersion();
      assertTrue(b.getVersion() > a.getVersion(), where);
      assertTrue(b.getWindowIndex() >= a.getWindowIndex(), where);
    }
    ModelSnapshot last = snapshots.get(snapshots.size() - 1);
    assertTrue(
        snapshots.stream().anyMatch(Scenario.endOfEpoch(epochs)), model + " never ended " + epochs);
    // 2048 examples in windows of 512, batches of 64: 32 steps per epoch.
    assertEquals(32L * epochs, SnapshotMetrics.stepsApplied(last), model);
  }

  private static void awaitLine(Scenario s, Scenario.Child child, String text, Duration timeout) {
    s.await(
        child.name() + " saying: " + text,
        timeout,
        () -> child.stderr().contains(text) || !child.isAlive());
    assertTrue(child.stderr().contains(text), child.name() + " exited" + s.evidence());
  }

  private static long count(String text, String line) {
    return text.lines().filter(l -> l.contains(line)).count();
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }
}
