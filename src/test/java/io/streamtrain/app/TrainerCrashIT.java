package io.streamtrain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.data.Split;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.snapshots.SnapshotMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A trainer in its own JVM is killed with SIGKILL twice during a run and restarted each time, once
 * on its old state directory and once on a fresh one (the batcher's window descriptions then come
 * back from the changelog and their examples from the feed), then stopped cleanly with SIGTERM (it
 * must publish a final snapshot and resume from exactly there). It must end with the parameters of
 * an uninterrupted run with the same seed, and the versions of its snapshots must never go down.
 */
class TrainerCrashIT {
  private static final int IMAGES = 4000;
  // Sixteen short epochs: the training thread steps fast enough to finish a short run between a
  // snapshot the test sees and the kill that follows it.
  private static final int EPOCHS = 16;
  // 4000 images in windows of 1024: 16 + 16 + 16 + 15 = 63 steps per epoch.
  private static final long TOTAL_STEPS = 63 * EPOCHS;
  private static final Map<String, String> FLAGS =
      Map.of("shuffle-window", "1024", "snapshot-every", "10");
  private static final Pattern RESUMED =
      Pattern.compile("Resumed model crashy from snapshot version (\\d+)");

  @Test
  void shouldEndWithTheUninterruptedRunsParametersAfterTwoKillsAndNeverPublishAnOlderVersion() {
    try (Scenario s = Scenario.embedded()) {
      s.createTopics();
      s.produce(s.pipeline().names().imagesTrain(), Scenario.fashionMnist(Split.TRAIN, IMAGES));
      s.produce(s.pipeline().names().imagesTest(), Scenario.fashionMnist(Split.TEST, 200));
      s.replay(EPOCHS);
      Path sameStateDir = s.newDir("crashy-state");

      try (Scenario.Child reference =
              s.launch("reference", train(s, "reference", s.newDir("ref")));
          Scenario.SnapshotLog log = s.snapshotLog("crashy")) {
        long start = System.nanoTime();
        List<Long> resumedFrom = new ArrayList<>();

        // Killed twice on the same state directory, each time past a snapshot of its own.
        List<String> kills = List.of("first kill", "second kill");
        int[] killPast = {40, 110};
        for (int k = 0; k < kills.size(); k++) {
          try (Scenario.Child child =
              s.launch("crashy-" + (k + 1), train(s, "crashy", sameStateDir))) {
            awaitOwnSnapshot(log, killPast[k]);
            child.kill();
            resumedFrom.add(resumedVersion(child));
          }
          assertMidRun(log, kills.get(k));
          System.err.printf("%s after %.1f s%n", kills.get(k), seconds(start));
        }

        // A fresh state directory: the batcher's windows must come back from changelog and feed.
        long finalVersion;
        try (Scenario.Child third = s.launch("crashy-3", train(s, "crashy", s.newDir("fresh")))) {
          awaitOwnSnapshot(log, 180);
          third.stop();
          resumedFrom.add(resumedVersion(third));
          assertTrue(third.stderr().contains("publishing a final snapshot"), third.describe());
          List<ModelSnapshot> sofar = log.refresh();
          finalVersion = sofar.get(sofar.size() - 1).getVersion();
        }
        assertMidRun(log, "clean stop");
        System.err.printf("clean stop after %.1f s%n", seconds(start));

        try (Scenario.Child fourth = s.launch("crashy-4", train(s, "crashy", s.newDir("fresh")))) {
          assertEquals(0, fourth.awaitExit(Duration.ofMinutes(4)), fourth.describe());
          resumedFrom.add(resumedVersion(fourth));
        }
        assertEquals(finalVersion, resumedFrom.get(3), "resumed from the clean stop's snapshot");
        System.err.printf("crashed run done after %.1f s%n", seconds(start));
        assertEquals(0, reference.awaitExit(Duration.ofMinutes(4)), reference.describe());

        assertEquals(0L, resumedFrom.remove(0), "the first process starts fresh");
        assertTrue(resumedFrom.get(0) >= 40, "second process resumed from " + resumedFrom);
        assertTrue(resumedFrom.get(1) >= 110, "third process resumed from " + resumedFrom);
        assertTrue(resumedFrom.get(2) >= 180, "fourth process resumed from " + resumedFrom);
        List<ModelSnapshot> crashy = log.refresh();
        assertNeverGoesBack(crashy);
        ModelSnapshot crashed = crashy.get(crashy.size() - 1);
        List<ModelSnapshot> uninterrupted = s.snapshots("reference");
        ModelSnapshot expected = uninterrupted.get(uninterrupted.size() - 1);
        assertEquals(TOTAL_STEPS, SnapshotMetrics.stepsApplied(expected));
        assertEquals(
            TOTAL_STEPS, SnapshotMetrics.stepsApplied(crashed), "no step applied twice or lost");
        assertTrue(crashed.getEpochComplete() && crashed.getEpoch() == EPOCHS);
        double difference = Scenario.maxAbsDifference(expected, crashed);
        System.err.printf("max |crashed - uninterrupted| = %g%n", difference);
        assertTrue(difference <= 1e-5, "max absolute difference " + difference);
      }
    }
  }

  /**
   * Waits for a snapshot of at least {@code version} that the process just launched published: one
   * newer than any before it. A killed process may have got past {@code version} already, and a
   * process stopped before it published anything would prove nothing.
   */
  private static void awaitOwnSnapshot(Scenario.SnapshotLog log, long version) {
    long before = log.refresh().stream().mapToLong(ModelSnapshot::getVersion).max().orElse(0);
    log.await(v -> v.getVersion() >= version && v.getVersion() > before, Duration.ofMinutes(3));
  }

  private static List<String> train(Scenario s, String model, Path stateDir) {
    return s.trainCommand(EPOCHS, true, model, stateDir, FLAGS);
  }

  /** The kill must land before the run's end, or the test proves nothing about recovery. */
  private static void assertMidRun(Scenario.SnapshotLog log, String when) {
    assertFalse(
        log.refresh().stream().anyMatch(Scenario.endOfEpoch(EPOCHS)),
        "the run had finished at the " + when + "; kill earlier");
  }

  /** The version the process resumed from, 0 for a fresh start. */
  private static long resumedVersion(Scenario.Child child) {
    Matcher m = RESUMED.matcher(child.stdout());
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  /**
   * Versions strictly increase in publication order (a snapshot that follows no step, such as a
   * restarted trainer's after an epoch marker's empty window, still takes a new one), and the
   * trainer position (window, batches applied) they record never goes back.
   */
  private static void assertNeverGoesBack(List<ModelSnapshot> snapshots) {
    for (int i = 1; i < snapshots.size(); i++) {
      ModelSnapshot a = snapshots.get(i - 1);
      ModelSnapshot b = snapshots.get(i);
      String where = "snapshot " + i + ": " + describe(a) + " then " + describe(b);
      assertTrue(b.getVersion() > a.getVersion(), where);
      assertTrue(
          b.getWindowIndex() > a.getWindowIndex()
              || (b.getWindowIndex() == a.getWindowIndex()
                  && b.getBatchesApplied() >= a.getBatchesApplied()),
          where);
    }
  }

  private static String describe(ModelSnapshot s) {
    return "v" + s.getVersion() + "@" + s.getWindowIndex() + ":" + s.getBatchesApplied();
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}
