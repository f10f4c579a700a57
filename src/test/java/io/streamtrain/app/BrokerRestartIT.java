package io.streamtrain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.data.Split;
import io.streamtrain.kafka.EmbeddedKafka;
import io.streamtrain.records.SnapshotMetrics;
import io.streamtrain.schema.ModelSnapshot;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The broker (the only one: also the group and transaction coordinator) is restarted early in the
 * run, and later it stays down longer than the trainer's transaction timeout (10 s), so that the
 * coordinator aborts the open transaction when it comes back and Kafka Streams must start the
 * trainer's task again. Eight short epochs keep the trainer, which steps on its own thread and
 * takes about a second for all of them, busy across both. The trainer gets through both without
 * manual action and ends with the parameters of a run without them: no record lost, no update
 * applied twice.
 */
class BrokerRestartIT {
  private static final int IMAGES = 3000;
  private static final int EPOCHS = 8;
  // 3000 images in windows of 512: 5 x 8 + 7 = 47 steps per epoch.
  private static final long TOTAL_STEPS = 47 * EPOCHS;

  @Test
  void shouldTrainThroughABrokerRestartToTheParametersOfARunWithoutIt() {
    try (Scenario s = Scenario.embedded()) {
      EmbeddedKafka broker = s.broker().orElseThrow();
      s.createTopics();
      s.produce(s.pipeline().names().imagesTrain(), Scenario.fashionMnist(Split.TRAIN, IMAGES));
      s.replay(EPOCHS);

      try (Scenario.Child reference = s.launch("reference", train(s, "reference", s.newDir("r")))) {
        assertEquals(0, reference.awaitExit(Duration.ofMinutes(3)), reference.describe());
      }
      ModelSnapshot expected =
          s.awaitSnapshot("reference", Scenario.endOfEpoch(EPOCHS), Duration.ofSeconds(30));

      try (Scenario.Child trainer = s.launch("restarted", train(s, "restarted", s.newDir("s")));
          Scenario.SnapshotLog log = s.snapshotLog("restarted")) {
        log.await(v -> v.getVersion() >= 20, Duration.ofMinutes(2));
        long start = System.nanoTime();
        broker.restart();
        System.err.printf("broker restarted in %.1f s%n", (System.nanoTime() - start) / 1e9);
        assertFalse(
            log.refresh().stream().anyMatch(Scenario.endOfEpoch(EPOCHS)),
            "the restart must fall before the run's end");

        log.await(v -> v.getVersion() >= 100, Duration.ofMinutes(2));
        broker.stop();
        // The outage's length is the scenario: longer than the transaction timeout.
        Awaitility.await()
            .during(Duration.ofSeconds(12))
            .atMost(Duration.ofSeconds(13))
            .until(() -> !broker.isRunning());
        broker.restart();
        assertFalse(
            log.refresh().stream().anyMatch(Scenario.endOfEpoch(EPOCHS)),
            "the outage must fall before the run's end");
        assertEquals(0, trainer.awaitExit(Duration.ofMinutes(4)), trainer.describe());
      }
      List<ModelSnapshot> snapshots = s.snapshots("restarted");
      ModelSnapshot last = snapshots.get(snapshots.size() - 1);
      assertEquals(TOTAL_STEPS, SnapshotMetrics.stepsApplied(expected));
      assertEquals(
          TOTAL_STEPS, SnapshotMetrics.stepsApplied(last), "no step lost or applied twice");
      double difference = Scenario.maxAbsDifference(expected, last);
      System.err.printf("max |restarted - reference| = %g%n", difference);
      assertTrue(difference <= 1e-5, "max absolute difference " + difference);
    }
  }

  private static List<String> train(Scenario s, String model, Path stateDir) {
    return s.trainCommand(EPOCHS, true, model, stateDir, Map.of());
  }
}
