package io.streamtrain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streamtrain.data.DatasetLocator;
import io.streamtrain.data.FashionMnist;
import io.streamtrain.data.LabeledDataset;
import io.streamtrain.data.Split;
import io.streamtrain.kafka.EmbeddedKafka;
import io.streamtrain.kafka.FeedHeaders;
import io.streamtrain.kafka.Replayer;
import io.streamtrain.metrics.Monitoring;
import io.streamtrain.metrics.PredictionMetrics;
import io.streamtrain.metrics.TrainingListener;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.snapshots.SnapshotMetrics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Reported freshness is true freshness. Live events with known send times (their record timestamps
 * on the dataset topic) stream while a replay of the dataset runs and across a broker restart, with
 * a trainer following them and a predictor swapping versions in this process. Every snapshot's
 * {@code live.oldestNewEventTime} / {@code live.newestNewEventTime} must be the send times of the
 * oldest and newest events it reflects for the first time (by their feed offsets), and the
 * Prometheus histogram {@code streamtrain_model_freshness_seconds} must hold what the bench's own
 * per-event figure says: one observation per swap that served new events, the age of its oldest.
 */
class LiveFreshnessIT {
  private static final String MODEL = "fresh";
  private static final long TOLERANCE_MS = 50;
  private static final int DATASET = 6_000;
  private static final Map<String, String> FLAGS =
      Map.of(
          "live-window", "64",
          "live-wait-ms", "100",
          "live-snapshot-ms", "0",
          "shuffle-window", "2048",
          // The predictor shares the process: its snapshot follower must not wait behind training.
          "training-first", "false");

  @Test
  void shouldReportProductionTimesOfEveryVersionsNewEventsDuringAReplayAndABrokerRestart()
      throws Exception {
    LabeledDataset dataset =
        FashionMnist.load(DatasetLocator.standard().locate(Optional.empty()).dir(), Split.TRAIN);
    try (Scenario s = Scenario.embedded()) {
      EmbeddedKafka broker = s.broker().orElseThrow();
      s.createTopics();
      Pipeline pipeline = new Pipeline(s.settings(MODEL, s.newDir("state"), FLAGS));
      String train = pipeline.names().imagesTrain();
      // Before the trainer: its live tail starts after these, which only the replay brings.
      DatasetPublisher.publish(pipeline, train, dataset, DATASET, n -> {});
      PrometheusMeterRegistry registry = Monitoring.newRegistry("predict", MODEL);
      PredictionMetrics meters = new PredictionMetrics(registry, () -> -1L);
      Map<String, Long> sent = new HashMap<>();
      Map<String, Long> duringOutage;
      // Every swap as the meters saw it, for the failure message.
      List<String> swaps = new CopyOnWriteArrayList<>();
      Runnable histogram;
      try (LiveSession session = LiveSession.start(pipeline, TrainingListener.NONE)) {
        session.alsoOnSwap(
            (version, at, live) -> {
              meters.swapped(at, live);
              swaps.add(
                  version + "@" + at + (live == null ? "" : " oldest " + live.oldestEventTime()));
            });
        CompletableFuture<Replayer.Summary> replay =
            CompletableFuture.supplyAsync(() -> pipeline.replayer().replay(3));
        // Its first version is the replay's: every live event is served by a swap seen here.
        session.startPredictor(Duration.ofSeconds(120), dataset);
        sent.putAll(session.produce(dataset, "replay", 100, Duration.ofSeconds(4), l -> l));

        // Events sent while the broker is down reach the dataset topic, and the feed, only after
        // its return: their feed times are seconds after their production.
        CompletableFuture<Map<String, Long>> outage =
            CompletableFuture.supplyAsync(
                () -> session.produce(dataset, "outage", 50, Duration.ofSeconds(4), l -> l));
        broker.stop();
        Awaitility.await()
            .during(Duration.ofSeconds(3))
            .atMost(Duration.ofSeconds(4))
            .until(() -> !broker.isRunning());
        broker.restart();
        duringOutage = outage.get();
        sent.putAll(duringOutage);
        sent.putAll(session.produce(dataset, "after", 100, Duration.ofSeconds(3), l -> l));
        replay.get();
        session.drain(Duration.ofMinutes(3));

        LiveSession.Result result = session.result(sent, 100, 11); // rate and seconds: nominal
        assertEquals(0, result.lost(), "every event served: " + result);
        histogram = checkHistogram(registry, session, sent, swaps);
      }

      Map<String, Long> offsets = new HashMap<>();
      long latestFeedTimeAfterProduction = Long.MIN_VALUE;
      for (ConsumerRecord<byte[], byte[]> r : s.readAll(pipeline.names().liveFeed())) {
        if (FeedHeaders.isLive(r.headers())) {
          String id = new String(r.key(), StandardCharsets.UTF_8);
          assertTrue(sent.containsKey(id), "only the events sent here are live: " + id);
          assertEquals(null, offsets.put(id, r.offset()), "each event once on the feed: " + id);
          if (duringOutage.containsKey(id)) {
            latestFeedTimeAfterProduction =
                Math.max(latestFeedTimeAfterProduction, r.timestamp() - sent.get(id));
          }
        }
      }
      assertEquals(sent.keySet(), offsets.keySet(), "every event on the feed");
      // Otherwise the feed's own timestamps would pass the check below as well.
      assertTrue(
          latestFeedTimeAfterProduction > 1_000,
          "events of the outage reached the feed late: " + latestFeedTimeAfterProduction + " ms");
      checkSnapshots(s.snapshots(MODEL), offsets, sent);
      histogram.run();
    }
  }

  /**
   * Each snapshot's new live events are those with feed offsets from the previous snapshot's {@code
   * live.feedEnd} to its own; their send times are its oldest and newest new event times.
   */
  private static void checkSnapshots(
      List<ModelSnapshot> snapshots, Map<String, Long> offsets, Map<String, Long> sent) {
    long previousEnd = -1;
    int checked = 0;
    for (ModelSnapshot snapshot : snapshots) {
      Map<String, Double> m = snapshot.getMetrics();
      long end = m.getOrDefault(SnapshotMetrics.LIVE_FEED_END, -1.0).longValue();
      long oldest = Long.MAX_VALUE;
      long newest = Long.MIN_VALUE;
      for (Map.Entry<String, Long> e : offsets.entrySet()) {
        if (e.getValue() >= previousEnd && e.getValue() < end) {
          oldest = Math.min(oldest, sent.get(e.getKey()));
          newest = Math.max(newest, sent.get(e.getKey()));
        }
      }
      String which = "version " + snapshot.getVersion() + " " + m;
      if (oldest == Long.MAX_VALUE) {
        assertFalse(m.containsKey(SnapshotMetrics.LIVE_OLDEST_NEW_EVENT), which);
      } else {
        assertEquals(
            oldest, m.get(SnapshotMetrics.LIVE_OLDEST_NEW_EVENT), TOLERANCE_MS, "oldest, " + which);
        assertEquals(
            newest, m.get(SnapshotMetrics.LIVE_NEWEST_NEW_EVENT), TOLERANCE_MS, "newest, " + which);
        checked++;
      }
      previousEnd = Math.max(previousEnd, end);
    }
    assertTrue(checked >= 10, "snapshots with new live events checked: " + checked);
    assertEquals(
        offsets.values().stream().mapToLong(Long::longValue).max().orElseThrow() + 1,
        previousEnd,
        "the last snapshot reflects the last event");
  }

  /**
   * The bench's figure per event is the first swap serving it minus its send time; the oldest event
   * of each swap is the histogram's observation for that swap. Scraped now, checked by the returned
   * runnable after the snapshots, whose metrics the histogram is made of.
   */
  private static Runnable checkHistogram(
      PrometheusMeterRegistry registry,
      LiveSession session,
      Map<String, Long> sent,
      List<String> swaps) {
    double[] freshness = session.freshness(sent);
    Map<Long, Double> oldestPerSwap = new HashMap<>();
    int i = 0;
    for (long at : sent.values()) {
      double f = freshness[i++];
      oldestPerSwap.merge(at + Math.round(f), f, Math::max);
    }
    double expectedSum = oldestPerSwap.values().stream().mapToDouble(d -> d / 1000).sum();
    Map<String, Double> samples = samples(registry.scrape());
    double count = samples.get("streamtrain_model_freshness_seconds_count");
    double sum = samples.get("streamtrain_model_freshness_seconds_sum");
    String both =
        "bench (served at -> oldest age): " + new TreeMap<>(oldestPerSwap) + "; swaps: " + swaps;
    return () -> {
      assertEquals(
          oldestPerSwap.size(), count, "one observation per swap serving new events, " + both);
      assertEquals(
          expectedSum,
          sum,
          count * TOLERANCE_MS / 1000.0,
          "sum of the swaps' oldest events' ages, " + both);
    };
  }

  /** Sample name without labels to value, from Prometheus' text format (one series per name). */
  private static Map<String, Double> samples(String text) {
    Map<String, Double> samples = new HashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.lastIndexOf(' ');
      String name = line.substring(0, brace >= 0 ? brace : line.indexOf(' '));
      samples.put(name, Double.parseDouble(line.substring(space + 1)));
    }
    return samples;
  }
}
