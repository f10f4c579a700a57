package io.streamtrain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.data.Split;
import io.streamtrain.kafka.EmbeddedKafka;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.snapshots.SnapshotMetrics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
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
 *
 * <p>A following trainer with the product's default client settings learns every live event once
 * across a 10 s outage at 150 events/s, and says how long after the broker's return it learned
 * again. {@code -Dstreamtrain.it.outage-runs=N} repeats that run N times (docs/reliability.md).
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

  private static final int LIVE_EVENTS = 3000;
  private static final int EVENTS_PER_TICK = 15; // every 100 ms: 150 events/s
  private static final Map<String, String> LIVE =
      Map.of("live-window", "64", "live-wait-ms", "100", "live-snapshot-ms", "0");

  @Test
  void shouldLearnEveryLiveEventOnceAcrossATenSecondOutageAndLearnAgainSoonAfter() {
    int runs = Integer.getInteger("streamtrain.it.outage-runs", 1);
    for (int run = 1; run <= runs; run++) {
      outage(run);
    }
  }

  private static void outage(int run) {
    try (Scenario s = Scenario.embedded()) {
      EmbeddedKafka broker = s.broker().orElseThrow();
      s.createTopics();
      String train = s.pipeline().names().imagesTrain();
      // The product's defaults: no --config.
      List<String> args = new ArrayList<>(List.of("train", "--follow"));
      args.addAll(s.commandLine("live", s.newDir("state"), LIVE));
      List<LabeledImage> events = TestPipelines.images("event", LIVE_EVENTS, run);
      AtomicLong returnedAt = new AtomicLong(); // wall clock, 0 while the broker has not returned
      AtomicInteger firstAfterReturn = new AtomicInteger(-1);
      AtomicInteger produced = new AtomicInteger();
      try (Scenario.SnapshotLog log = s.snapshotLog("live");
          Scenario.Child trainer = s.launch("live", args)) {
        s.await(
            "the live tail's start",
            Duration.ofSeconds(90),
            () -> trainer.stderr().contains("Live tail of") || !trainer.isAlive());
        CompletableFuture<Void> stream =
            CompletableFuture.runAsync(
                () ->
                    produceAt150PerSecond(
                        s, train, events, returnedAt, firstAfterReturn, produced));
        s.await("the first 1200 events", Duration.ofSeconds(60), () -> produced.get() >= 1200);
        log.await(v -> liveCount(v) > 0, Duration.ofSeconds(60));
        broker.stop();
        long stoppedAt = System.nanoTime();
        Awaitility.await()
            .during(Duration.ofSeconds(10))
            .atMost(Duration.ofSeconds(11))
            .until(() -> !broker.isRunning());
        broker.restart();
        returnedAt.set(System.currentTimeMillis());
        double down = (System.nanoTime() - stoppedAt) / 1e9;
        // One read: a second refresh may find more snapshots than the list indexed.
        List<ModelSnapshot> seenSoFar = log.refresh();
        double before = liveCount(seenSoFar.get(seenSoFar.size() - 1));
        ModelSnapshot progress = log.await(v -> liveCount(v) > before, Duration.ofMinutes(2));
        long progressAt = seenAt(log, progress);
        s.await(
            "an event produced after the return",
            Duration.ofSeconds(30),
            () -> firstAfterReturn.get() >= 0);
        // Live windows are trained in feed order, whole (window = batch): a count past the first
        // event produced after the return means a snapshot that learned it.
        int k = firstAfterReturn.get();
        ModelSnapshot fresh = log.await(v -> liveCount(v) > k, Duration.ofMinutes(2));
        long freshAt = seenAt(log, fresh);
        stream.join();
        log.await(v -> liveCount(v) >= LIVE_EVENTS, Duration.ofMinutes(2));
        System.err.printf(
            "outage run %d: broker down %.1f s; after its return, first live progress %.1f s,"
                + " first snapshot with an event produced after it %.1f s (version %d)%n",
            run,
            down,
            (progressAt - returnedAt.get()) / 1e3,
            (freshAt - returnedAt.get()) / 1e3,
            fresh.getVersion());
        trainer.stop();
        List<ModelSnapshot> all = log.refresh();
        for (int i = 1; i < all.size(); i++) {
          assertTrue(
              all.get(i).getVersion() > all.get(i - 1).getVersion()
                  && liveCount(all.get(i)) <= LIVE_EVENTS,
              "versions increase and no event is counted twice: " + log.describe());
        }
        assertEquals(LIVE_EVENTS, liveCount(all.get(all.size() - 1)), "each event learned once");
      }
      s.assertLiveFeedHoldsEachOnce(LIVE_EVENTS);
    }
  }

  /**
   * Sends {@code events} in ticks of 15 every 100 ms, each tick acknowledged before the next (so
   * the stream pauses while the broker is down and goes on at the same pace after), noting the
   * index of the first event sent after {@code returnedAt} is set.
   */
  private static void produceAt150PerSecond(
      Scenario s,
      String topic,
      List<LabeledImage> events,
      AtomicLong returnedAt,
      AtomicInteger firstAfterReturn,
      AtomicInteger produced) {
    var serializer = s.pipeline().serde(LabeledImage.class).serializer();
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(s.pipeline().settings().producerProps())) {
      long next = System.nanoTime();
      for (int from = 0; from < events.size(); from += EVENTS_PER_TICK) {
        if (returnedAt.get() != 0 && firstAfterReturn.get() < 0) {
          firstAfterReturn.set(from);
        }
        for (LabeledImage image :
            events.subList(from, Math.min(events.size(), from + EVENTS_PER_TICK))) {
          producer.send(
              new ProducerRecord<>(
                  topic,
                  image.getId().getBytes(StandardCharsets.UTF_8),
                  serializer.serialize(topic, image)));
        }
        producer.flush();
        produced.set(Math.min(events.size(), from + EVENTS_PER_TICK));
        next = Math.max(next + TimeUnit.MILLISECONDS.toNanos(100), System.nanoTime());
        LockSupport.parkNanos(next - System.nanoTime());
      }
    }
  }

  private static long seenAt(Scenario.SnapshotLog log, ModelSnapshot snapshot) {
    List<ModelSnapshot> all = log.refresh();
    return log.seenAtMillis().get(all.indexOf(snapshot));
  }

  private static double liveCount(ModelSnapshot snapshot) {
    return snapshot.getMetrics().getOrDefault(SnapshotMetrics.LIVE_EXAMPLES_TRAINED, 0.0);
  }

  private static List<String> train(Scenario s, String model, Path stateDir) {
    return s.trainCommand(EPOCHS, true, model, stateDir, Map.of());
  }
}
