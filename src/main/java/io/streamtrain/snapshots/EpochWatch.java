package io.streamtrain.snapshots;

import io.streamtrain.schema.ModelSnapshot;
import java.time.Duration;
import java.util.Optional;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the model's snapshots published since it was made, whoever publishes them: an {@code
 * --epochs N} run ends when the model is trained through epoch N, also when a trainer of another
 * process did it (this one stood by, or took over at that point).
 */
public final class EpochWatch implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EpochWatch.class);
  // Long enough for a fetch to complete: a zero poll may only send it.
  private static final Duration POLL = Duration.ofMillis(200);
  private final SnapshotFeed feed;
  private final Deserializer<ModelSnapshot> deserializer;
  private ModelSnapshot trainedThrough;

  public EpochWatch(SnapshotTopic snapshots) {
    feed =
        new SnapshotFeed(snapshots.consumerProps().get(), snapshots.topic(), snapshots.modelName());
    deserializer = snapshots.deserializer();
    // Fixes "from now on" before anything starts.
    feed.fromNow(snapshots.endOffsets().keySet());
  }

  /**
   * The first snapshot published since the start that completed epoch {@code epochs}, after reading
   * what was committed since the last call. Kept once seen: a trainer's final snapshot on stop may
   * follow it with the same version and a moved position.
   */
  public Optional<ModelSnapshot> firstTrainedThrough(int epochs) {
    for (ModelRecords.Seen seen : feed.poll(POLL)) {
      if (trainedThrough != null) {
        continue;
      }
      try {
        ModelSnapshot snapshot = Snapshots.decode(seen.record(), deserializer);
        if (trainedThrough(snapshot, epochs)) {
          trainedThrough = snapshot;
          LOG.debug("Epoch {} completed by snapshot version {}", epochs, snapshot.getVersion());
        }
      } catch (RuntimeException e) {
        LOG.debug("Skipping an unreadable snapshot record", e);
      }
    }
    return Optional.ofNullable(trainedThrough);
  }

  /** Whether {@code snapshot} is at or past the end of epoch {@code epochs}. */
  public static boolean trainedThrough(ModelSnapshot snapshot, int epochs) {
    return snapshot.getEpoch() > epochs
        || (snapshot.getEpoch() == epochs && snapshot.getEpochComplete());
  }

  @Override
  public void close() {
    feed.close(Duration.ofSeconds(5));
  }
}
