package io.streamtrain.snapshots;

import io.streamtrain.schema.ModelSnapshot;
import java.util.Map;
import java.util.Optional;

/**
 * Names in {@code ModelSnapshot.metrics} that the trainer writes and others read: what a model
 * version learned live, so that its freshness can be known where it is served, and its steps.
 */
public final class SnapshotMetrics {
  /**
   * Optimizer steps in the parameters since the model's first; the version is this count moved past
   * the previous version when a snapshot follows no step.
   */
  public static final String STEPS_APPLIED = "stepsApplied";

  /** Live examples in applied steps since the model's first step. */
  public static final String LIVE_EXAMPLES_TRAINED = "live.examplesTrained";

  /**
   * The feed offset after the newest live example the parameters reflect (live windows in order).
   */
  public static final String LIVE_FEED_END = "live.feedEnd";

  /** Record timestamp of the oldest live event first reflected by this snapshot. */
  public static final String LIVE_OLDEST_NEW_EVENT = "live.oldestNewEventTime";

  /** Record timestamp of the newest live event first reflected by this snapshot. */
  public static final String LIVE_NEWEST_NEW_EVENT = "live.newestNewEventTime";

  private SnapshotMetrics() {}

  /** Steps applied to {@code snapshot}'s parameters (its version where it predates the count). */
  public static long stepsApplied(ModelSnapshot snapshot) {
    return snapshot
        .getMetrics()
        .getOrDefault(STEPS_APPLIED, (double) snapshot.getVersion())
        .longValue();
  }

  /** The live events a snapshot reflects for the first time, by their production times. */
  public record NewLiveEvents(long oldestEventTime, long newestEventTime) {
    /** Present when {@code metrics} names new live events. */
    public static Optional<NewLiveEvents> of(Map<String, Double> metrics) {
      Double oldest = metrics.get(LIVE_OLDEST_NEW_EVENT);
      Double newest = metrics.get(LIVE_NEWEST_NEW_EVENT);
      return oldest == null || newest == null
          ? Optional.empty()
          : Optional.of(new NewLiveEvents(oldest.longValue(), newest.longValue()));
    }

    /** The span of both: what a version serves first when an intermediate one was skipped. */
    public NewLiveEvents merge(NewLiveEvents other) {
      return other == null
          ? this
          : new NewLiveEvents(
              Math.min(oldestEventTime, other.oldestEventTime),
              Math.max(newestEventTime, other.newestEventTime));
    }
  }
}
