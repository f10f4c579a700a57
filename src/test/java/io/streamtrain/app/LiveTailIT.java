package io.streamtrain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.kafka.FeedHeaders;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.training.Trainer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * {@code train --follow} learns, once each, the labeled events produced to the dataset topic while
 * it runs, and those produced while it was down once it is back; kills and a replay running beside
 * the live stream change nothing of that. The accounting: the newest snapshot's live example count
 * equals the live records on the feed minus dead letters, and the feed holds each produced event
 * exactly once.
 */
class LiveTailIT {
  private static final Map<String, String> LIVE =
      Map.of(
          "live-window", "64",
          "live-wait-ms", "100",
          "live-snapshot-ms", "0");

  @Test
  void shouldLearnEveryLiveEventOnceIncludingThoseProducedWhileTheTrainerWasDown() {
    try (Scenario s = Scenario.embedded()) {
      s.createTopics();
      String train = s.pipeline().names().imagesTrain();
      s.produce(train, TestPipelines.images("before", 100, 1)); // the dataset: replay's, not live
      Path state = s.newDir("state");
      try (Scenario.Child first = follow(s, "live-1", state)) {
        s.produce(train, TestPipelines.images("up", 300, 2));
        s.produceRaw(List.of(new ProducerRecord<>(train, bytes("junk"), bytes("not avro"))));
        s.awaitSnapshot("live", liveExamples(300), Duration.ofSeconds(90));
        first.stop();
      }
      s.produce(train, TestPipelines.images("down", 200, 3));
      try (Scenario.Child second = follow(s, "live-2", state)) {
        s.awaitSnapshot("live", liveExamples(500), Duration.ofSeconds(90));
        second.stop();
      }
      ModelSnapshot last = newest(s);
      assertEquals(500.0, last.getMetrics().get(Trainer.LIVE_EXAMPLES_TRAINED), "each once");
      assertEquals(1.0, last.getMetrics().get(Trainer.DEAD_LETTERS_PREFIX + "wrong-magic-byte"));
      s.assertLiveFeedHoldsEachOnce(501);
    }
  }

  @Test
  void shouldApplyEveryLiveEventExactlyOnceAcrossTwoKills() throws Exception {
    try (Scenario s = Scenario.embedded()) {
      s.createTopics();
      String train = s.pipeline().names().imagesTrain();
      Path state = s.newDir("state");
      List<LabeledImage> events = TestPipelines.images("event", 1500, 4);
      try (Scenario.SnapshotLog log = s.snapshotLog("live")) {
        Scenario.Child first = follow(s, "live-1", state);
        CompletableFuture<Void> stream = produceSlowly(s, train, events);
        log.await(liveExamples(1), Duration.ofSeconds(90));
        first.kill();
        first.close();
        Scenario.Child second = follow(s, "live-2", s.newDir("fresh-state"));
        // One read: a second refresh may find more snapshots than the list indexed.
        List<ModelSnapshot> seenSoFar = log.refresh();
        double before = liveCount(seenSoFar.get(seenSoFar.size() - 1));
        log.await(s2 -> liveCount(s2) > before, Duration.ofSeconds(90));
        second.kill();
        second.close();
        try (Scenario.Child third = follow(s, "live-3", state)) {
          stream.get();
          log.await(liveExamples(1500), Duration.ofSeconds(120));
          third.stop();
        }
        List<ModelSnapshot> all = log.refresh();
        for (int i = 1; i < all.size(); i++) {
          assertTrue(
              liveCount(all.get(i)) <= 1500
                  && all.get(i).getVersion() > all.get(i - 1).getVersion(),
              "versions increase, no event counted twice: " + all.get(i).getMetrics());
        }
        assertEquals(1500.0, liveCount(all.get(all.size() - 1)));
      }
      s.assertLiveFeedHoldsEachOnce(1500);
    }
  }

  @Test
  void shouldLearnALiveStreamAndAReplayAtOnceWithNoRecordAppliedTwice() {
    try (Scenario s = Scenario.embedded()) {
      s.createTopics();
      String train = s.pipeline().names().imagesTrain();
      s.produce(train, TestPipelines.images("dataset", 1024, 5));
      try (Scenario.Child trainer = follow(s, "live", s.newDir("state"))) {
        s.replay(2);
        s.produce(train, TestPipelines.images("live", 300, 6));
        s.awaitSnapshot("live", Scenario.endOfEpoch(2), Duration.ofSeconds(180));
        s.awaitSnapshot("live", liveExamples(300), Duration.ofSeconds(60));
        trainer.stop();
      }
      ModelSnapshot last = newest(s);
      assertEquals(300.0, liveCount(last));
      assertEquals(
          2 * 1024.0 + 300,
          last.getMetrics().get(Trainer.EXAMPLES_TRAINED),
          "two epochs of the dataset and every live event, once each");
      s.assertLiveFeedHoldsEachOnce(300);
    }
  }

  @Test
  void shouldLearnLiveEventsBeforeTheReplayedRecordsWaitingAheadOfThem() {
    try (Scenario s = Scenario.embedded()) {
      s.createTopics();
      String train = s.pipeline().names().imagesTrain();
      s.produce(train, TestPipelines.images("dataset", 1024, 7));
      s.replay(8); // a backlog of 8,192 replayed records in the feed before the trainer starts
      // Live events in the feed's live lane, as the live tail appends them, written after the
      // whole backlog: in one feed they would wait for every replayed record.
      var serializer = s.pipeline().serde(LabeledImage.class).serializer();
      String lane = s.pipeline().names().liveFeed();
      List<ProducerRecord<byte[], byte[]>> live = new ArrayList<>();
      for (LabeledImage image : TestPipelines.images("live", 64, 8)) {
        var record =
            new ProducerRecord<>(
                lane, bytes(image.getId().toString()), serializer.serialize(train, image));
        record.headers().add(FeedHeaders.LIVE, FeedHeaders.liveSource(train + "-0", live.size()));
        record
            .headers()
            .add(FeedHeaders.PRODUCED, FeedHeaders.produced(System.currentTimeMillis()));
        live.add(record);
      }
      s.produceRaw(live);
      try (Scenario.Child trainer = follow(s, "live", s.newDir("state"))) {
        ModelSnapshot learned = s.awaitSnapshot("live", liveExamples(64), Duration.ofSeconds(90));
        double replayedBefore =
            learned.getMetrics().get(Trainer.EXAMPLES_TRAINED) - liveCount(learned);
        assertTrue(
            replayedBefore < 1024,
            "the live window went before the backlog, not after an epoch of it: "
                + replayedBefore
                + " replayed examples trained first");
        s.awaitSnapshot("live", Scenario.endOfEpoch(8), Duration.ofSeconds(180));
        trainer.stop();
      }
      ModelSnapshot last = newest(s);
      assertEquals(
          8 * 1024.0 + 64,
          last.getMetrics().get(Trainer.EXAMPLES_TRAINED),
          "the backlog and the live events, once each");
    }
  }

  @Test
  void shouldStopWithOneLineWhenTheDatasetTopicIsDeletedWhileTailing() throws Exception {
    try (Scenario s = Scenario.embedded()) {
      s.createTopics();
      String train = s.pipeline().names().imagesTrain();
      try (Scenario.Child trainer = follow(s, "live", s.newDir("state"))) {
        s.produce(train, TestPipelines.images("up", 50, 1));
        s.awaitSnapshot("live", liveExamples(50), Duration.ofSeconds(90));
        try (Admin admin = Admin.create(s.pipeline().settings().adminProps())) {
          admin.deleteTopics(List.of(train)).all().get();
        }
        assertEquals(1, trainer.awaitExit(Duration.ofSeconds(90)), trainer.describe());
        String stderr = trainer.stderr();
        assertTrue(
            stderr.contains("streamtrain: Trainer stopped: a topic it reads was deleted"), stderr);
        assertTrue(stderr.contains("streamtrain topics create"), stderr);
        assertTrue(
            stderr.lines().noneMatch(l -> l.contains(" ERROR ") || l.startsWith("\tat ")),
            "no error logs or stack traces: " + stderr);
      }
    }
  }

  // A followed run ends on SIGTERM (exit 143 from the JVM) after its final snapshot, which the
  // accounting below reads.

  /** {@code train --follow} with small live windows, waiting until its live tail has started. */
  private static Scenario.Child follow(Scenario s, String name, Path state) {
    List<String> args = new ArrayList<>(List.of("train", "--follow"));
    args.addAll(List.of("--config", s.fastRecoveryConfig().toString()));
    args.addAll(s.commandLine("live", state, LIVE));
    Scenario.Child child = s.launch(name, args);
    // Bounded by the child's own waits (Kafka, the feed, the group), which a loaded machine
    // stretches.
    Awaitility.await()
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> child.stderr().contains("Live tail of") || !child.isAlive());
    assertTrue(child.isAlive(), child.describe());
    return child;
  }

  /** Produces {@code events} at about 300 a second, on another thread. */
  private static CompletableFuture<Void> produceSlowly(
      Scenario s, String topic, List<LabeledImage> events) {
    return CompletableFuture.runAsync(
        () -> {
          for (int from = 0; from < events.size(); from += 30) {
            long next = System.nanoTime() + 100_000_000L;
            s.produce(topic, events.subList(from, Math.min(events.size(), from + 30)));
            java.util.concurrent.locks.LockSupport.parkNanos(next - System.nanoTime());
          }
        });
  }

  private static ModelSnapshot newest(Scenario s) {
    List<ModelSnapshot> all = s.snapshots("live");
    return all.get(all.size() - 1);
  }

  private static Predicate<ModelSnapshot> liveExamples(long n) {
    return snapshot -> liveCount(snapshot) >= n;
  }

  private static double liveCount(ModelSnapshot snapshot) {
    return snapshot.getMetrics().getOrDefault(Trainer.LIVE_EXAMPLES_TRAINED, 0.0);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
