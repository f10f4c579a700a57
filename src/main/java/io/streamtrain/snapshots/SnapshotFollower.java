package io.streamtrain.snapshots;

import ai.djl.Device;
import io.streamtrain.kafka.PollingThreads;
import io.streamtrain.kafka.TopicReader;
import io.streamtrain.model.InferenceModel;
import io.streamtrain.model.StateDicts;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.snapshots.ModelRecords.Seen;
import io.streamtrain.snapshots.SnapshotChunks.TornSnapshotException;
import io.streamtrain.snapshots.SnapshotMetrics.NewLiveEvents;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows {@code model.snapshots} on its own thread and offers each newer, verified snapshot of one
 * model to a {@link ModelHolder}, decoded and loaded off the prediction path. A snapshot that fails
 * its checks is logged once and skipped: the holder keeps serving its last good model. A chunked
 * version whose chunks a newer version overwrote while they were read is skipped quietly: the newer
 * version's manifest is further on and is loaded next. Should the follower reach the end of the
 * topic without finding one, the skipped version was damaged after all and is refused.
 */
public final class SnapshotFollower implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SnapshotFollower.class);

  private final SnapshotFeed feed;
  private final Properties consumerProps;
  private final String topic;
  private final Deserializer<ModelSnapshot> deserializer;
  private final Device device;
  private final ModelHolder holder;
  private final Thread thread;
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  private volatile long newestVersion = -1;
  private volatile long rejected;
  private volatile long superseded;
  // A version skipped as superseded, until a newer one loads; refused if the topic ends first.
  private Skipped skipped;

  public SnapshotFollower(
      Properties consumerProps,
      String topic,
      String modelName,
      Deserializer<ModelSnapshot> deserializer,
      Device device,
      ModelHolder holder) {
    this.feed = new SnapshotFeed(consumerProps, topic, modelName);
    this.consumerProps = consumerProps;
    this.topic = topic;
    this.deserializer = deserializer;
    this.device = device;
    this.holder = holder;
    this.thread = new Thread(this::run, "snapshot-follower-" + modelName);
    this.thread.setDaemon(true);
  }

  public SnapshotFollower start() {
    thread.start();
    return this;
  }

  /** Waits until the topic was read to the end it had at start, or the timeout passes. */
  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  public long newestVersion() {
    return newestVersion;
  }

  /** Snapshots refused because they failed verification. */
  public long rejected() {
    return rejected;
  }

  /**
   * Chunked versions skipped because a newer version overwrote their chunks while they were read.
   */
  public long superseded() {
    return superseded;
  }

  private void run() {
    try {
      feed.fromBeginning();
      // Until caught up, only remember the newest: serving starts with the newest snapshot.
      Seen[] newest = new Seen[1];
      catchUp(seen -> newest[0] = seen);
      if (newest[0] != null) {
        load(newest[0], null);
      }
      caughtUp.countDown();
      while (!Thread.currentThread().isInterrupted()) {
        List<Seen> polled = feed.poll(Duration.ofMillis(200));
        if (!polled.isEmpty()) {
          load(polled.get(polled.size() - 1), skippedLive(polled));
        } else if (this.skipped != null && feed.atEnd()) {
          refuseSkipped();
        }
      }
    } catch (WakeupException e) {
      // close() asked us to stop
    } catch (RuntimeException e) {
      LOG.error("Snapshot follower stopped: {}", e.getMessage());
    } finally {
      feed.close();
    }
  }

  /** Reads to the end, trying again while the broker does not answer: serving waits for it. */
  private void catchUp(java.util.function.Consumer<Seen> visitor) {
    while (true) {
      try {
        feed.catchUp(visitor);
        return;
      } catch (TopicReader.StalledException e) {
        LOG.warn("Still reading {}: {}", topic, e.getMessage());
      }
    }
  }

  /**
   * Only the newest of a poll is loaded; the live events the others learned first are served first
   * by it, so that its freshness counts from the oldest of them. Null for none.
   */
  private NewLiveEvents skippedLive(List<Seen> polled) {
    NewLiveEvents skipped = null;
    for (Seen seen : polled.subList(0, polled.size() - 1)) {
      NewLiveEvents live = newLiveEvents(seen.record());
      skipped = live == null ? skipped : live.merge(skipped);
    }
    return skipped;
  }

  /** The live events a newer snapshot than the one loaded learned first; null for none. */
  private NewLiveEvents newLiveEvents(ConsumerRecord<byte[], byte[]> record) {
    try {
      ModelSnapshot snapshot = Snapshots.decode(record, deserializer);
      return snapshot.getVersion() <= newestVersion
          ? null
          : NewLiveEvents.of(snapshot.getMetrics()).orElse(null);
    } catch (RuntimeException e) {
      return null; // refused when loaded, if it is the newest; skipped, it serves nothing
    }
  }

  /**
   * The skipped version's chunks are gone, yet no newer version came before the end of the topic:
   * not superseded but damaged (the chunks were deleted some other way).
   */
  private void refuseSkipped() {
    rejected++;
    LOG.warn(
        "Refusing snapshot: {}, but no newer version is on the topic (still serving version {})",
        skipped.failure().getMessage(),
        holder.version());
    skipped = null;
  }

  /** A version skipped as superseded, and the live events it would have served first. */
  private record Skipped(long version, TornSnapshotException failure, NewLiveEvents live) {}

  /** Loads a newer snapshot, which also serves first the live events {@code skipped} learned. */
  private void load(Seen seen, NewLiveEvents skipped) {
    if (this.skipped != null && this.skipped.live() != null) {
      skipped = this.skipped.live().merge(skipped);
    }
    ModelSnapshot manifest = null;
    try {
      // A record that is not a snapshot is named with its partition and offset.
      manifest = Snapshots.decode(seen.record(), deserializer);
      if (manifest.getVersion() <= newestVersion) {
        return;
      }
      ModelSnapshot snapshot =
          Snapshots.complete(consumerProps, topic, manifest, seen.chunks(), deserializer);
      InferenceModel model = StateDicts.toInferenceModel(snapshot, device);
      newestVersion = snapshot.getVersion();
      this.skipped = null;
      NewLiveEvents live = NewLiveEvents.of(snapshot.getMetrics()).orElse(null);
      holder.offer(model, live == null ? skipped : live.merge(skipped));
    } catch (TornSnapshotException e) {
      if (!e.superseded()) {
        refuse(e);
        return;
      }
      superseded++;
      NewLiveEvents live = NewLiveEvents.of(manifest.getMetrics()).orElse(null);
      this.skipped =
          new Skipped(manifest.getVersion(), e, live == null ? skipped : live.merge(skipped));
      LOG.debug("Skipping snapshot: {}; reading on to the newer one", e.getMessage());
    } catch (RuntimeException e) {
      refuse(e);
    }
  }

  private void refuse(RuntimeException e) {
    rejected++;
    LOG.warn("Refusing snapshot: {} (still serving version {})", e.getMessage(), holder.version());
  }

  /** Stops the loop and waits for its thread, which closes the consumer on its way out. */
  @Override
  public void close() {
    PollingThreads.stop(feed::wakeup, thread, Duration.ofSeconds(10));
  }
}
