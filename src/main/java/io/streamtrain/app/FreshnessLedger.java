package io.streamtrain.app;

import io.streamtrain.kafka.FeedHeaders;
import io.streamtrain.kafka.Partitions;
import io.streamtrain.kafka.TopicReader;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.snapshots.SnapshotMetrics;
import io.streamtrain.training.Trainer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * What a {@link LiveSession} measures freshness from: the snapshots the trainer published, the
 * predictor's swaps, and each live event's offset and append time on the feed, read from the feed
 * itself; and the per-event delays computed from them.
 */
final class FreshnessLedger implements AutoCloseable {
  // Swaps of the predictor in time order: (at, version).
  private final List<long[]> swaps = new CopyOnWriteArrayList<>();
  // Version -> (live examples, live feed end, dead letters, created at) of every snapshot the
  // trainer published.
  private final Map<Long, long[]> published = new ConcurrentHashMap<>();
  // Live records read from the feed so far: event id -> feed offset, and its append time there.
  private final Map<String, Long> feedOffsets = new HashMap<>();
  private final Map<String, Long> feedAppendTimes = new HashMap<>();
  private final KafkaConsumer<byte[], byte[]> feed;
  private final List<TopicPartition> feedPartitions;

  /** Reads {@code pipeline}'s live feed from its beginning. */
  FreshnessLedger(Pipeline pipeline) {
    this.feed = new KafkaConsumer<>(pipeline.settings().consumerProps(null));
    this.feedPartitions = Partitions.of(feed, pipeline.names().liveFeed());
    feed.assign(feedPartitions);
    feed.seekToBeginning(feedPartitions);
  }

  void published(ModelSnapshot snapshot) {
    Map<String, Double> m = snapshot.getMetrics();
    long deadLetters =
        m.entrySet().stream()
            .filter(e -> e.getKey().startsWith(Trainer.DEAD_LETTERS_PREFIX))
            .mapToLong(e -> e.getValue().longValue())
            .sum();
    published.put(
        snapshot.getVersion(),
        new long[] {
          m.getOrDefault(SnapshotMetrics.LIVE_EXAMPLES_TRAINED, 0.0).longValue(),
          m.getOrDefault(SnapshotMetrics.LIVE_FEED_END, -1.0).longValue(),
          deadLetters,
          snapshot.getCreatedAt().toEpochMilli()
        });
  }

  void swapped(long version, long at) {
    swaps.add(new long[] {at, version});
  }

  /** Live examples learned plus dead letters of {@code version}, -1 when it was not published. */
  long accountedFor(long version) {
    long[] snapshot = published.get(version);
    return snapshot == null ? -1 : snapshot[0] + snapshot[2];
  }

  int snapshots() {
    return published.size();
  }

  int swaps() {
    return swaps.size();
  }

  /** Freshness of the events of {@code events} so far, in ms, NaN for those not served yet. */
  double[] freshness(Map<String, Long> events) {
    readFeed();
    // For each swap in time order, the feed end it serves; monotone because versions only grow.
    List<long[]> served = new ArrayList<>();
    long best = -1;
    for (long[] swap : swaps) {
      long[] snapshot = published.get(swap[1]);
      if (snapshot != null && snapshot[1] > best) {
        best = snapshot[1];
        served.add(new long[] {swap[0], best});
      }
    }
    return delaysUntil(served, events);
  }

  /**
   * For each event of {@code events}, how long after its production the trainer made the first
   * snapshot that learned it, in ms (NaN for those not learned yet): freshness less the snapshot's
   * way to the predictor (publish, commit, follow, swap).
   */
  double[] learnedDelays(Map<String, Long> events) {
    readFeed();
    // Versions in order, each with the feed end it covers and when it was made.
    List<long[]> made = new ArrayList<>();
    long best = -1;
    for (Map.Entry<Long, long[]> e : new TreeMap<>(published).entrySet()) {
      if (e.getValue()[1] > best) {
        best = e.getValue()[1];
        made.add(new long[] {e.getValue()[3], best});
      }
    }
    return delaysUntil(made, events);
  }

  /**
   * For each event, the first time in {@code reached} ((time, feed end) pairs, ends growing) whose
   * feed end passes the event's feed offset, less the event's production time; NaN when none does.
   */
  private double[] delaysUntil(List<long[]> reached, Map<String, Long> events) {
    double[] out = new double[events.size()];
    int i = 0;
    for (Map.Entry<String, Long> e : events.entrySet()) {
      Long offset = feedOffsets.get(e.getKey());
      out[i++] = offset == null ? Double.NaN : servedAt(reached, offset) - e.getValue();
    }
    return out;
  }

  /**
   * For each event of {@code events}, how long after its production the live tail appended it to
   * the feed, in ms (NaN for those not in the feed yet): the part of freshness spent before the
   * trainer could see it.
   */
  synchronized double[] feedDelays(Map<String, Long> events) {
    readFeed();
    return events.entrySet().stream()
        .mapToDouble(
            e -> {
              Long appended = feedAppendTimes.get(e.getKey());
              return appended == null ? Double.NaN : appended - e.getValue();
            })
        .toArray();
  }

  /** The first time a version covering {@code offset} was served, or NaN. */
  private static double servedAt(List<long[]> served, long offset) {
    int lo = 0;
    int hi = served.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (served.get(mid)[1] > offset) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo < served.size() ? served.get(lo)[0] : Double.NaN;
  }

  /** Reads the live records the feed got since the last call: event id -> feed offset. */
  private synchronized void readFeed() {
    TopicReader.catchUp(
        feed,
        feedPartitions,
        TopicReader.DEFAULT_TIMEOUT,
        r -> {
          if (r.key() != null && FeedHeaders.isLive(r.headers())) {
            String id = new String(r.key(), StandardCharsets.UTF_8);
            feedOffsets.put(id, r.offset());
            feedAppendTimes.put(id, r.timestamp()); // the feed's LogAppendTime
          }
        });
  }

  /** Dead letters the newest published snapshot counts. */
  long deadLetters() {
    long[] newest =
        published.entrySet().stream()
            .max(Map.Entry.comparingByKey())
            .map(Map.Entry::getValue)
            .orElse(null);
    return newest == null ? 0 : newest[2];
  }

  @Override
  public void close() {
    feed.close();
  }
}
