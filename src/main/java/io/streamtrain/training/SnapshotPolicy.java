package io.streamtrain.training;

import io.streamtrain.config.Training;
import java.util.function.LongSupplier;

/**
 * When the trainer publishes a snapshot: at every shuffle window's end (which the {@link
 * MiniBatcher}'s crash safety relies on), every {@code snapshotEverySteps} steps or {@code
 * snapshotEverySeconds} seconds since the last one (0 disables either), and right after a rollback.
 *
 * <p>A live window's end is the exception: its snapshot follows as soon as {@code
 * live.minSnapshotIntervalMs} has passed since the last one, so that live learning reaches the
 * predictors within the interval without a large model flooding the compacted topic. Until then the
 * window is pending: the batcher keeps it until the snapshot that reflects it is published.
 */
final class SnapshotPolicy {
  private final int everySteps;
  private final long everyNanos;
  private final LongSupplier nanoClock;
  private long lastStep = -1;
  private long lastNanos;
  private boolean requested;
  private final long liveIntervalNanos;
  private long pendingLiveWindow = -1;

  SnapshotPolicy(Training training) {
    this(
        training.snapshotEverySteps(),
        training.snapshotEverySeconds(),
        training.live().minSnapshotIntervalMs(),
        System::nanoTime);
  }

  SnapshotPolicy(int everySteps, int everySeconds, LongSupplier nanoClock) {
    this(everySteps, everySeconds, 0, nanoClock);
  }

  /** {@code nanoClock}: a monotonic clock in nanoseconds, like {@link System#nanoTime}. */
  SnapshotPolicy(int everySteps, int everySeconds, int liveIntervalMs, LongSupplier nanoClock) {
    this.liveIntervalNanos = liveIntervalMs * 1_000_000L;
    this.everySteps = everySteps;
    this.everyNanos = everySeconds * 1_000_000_000L;
    this.nanoClock = nanoClock;
    this.lastNanos = nanoClock.getAsLong();
  }

  /** The model starts at version {@code steps}: step counts run from there. */
  void startAt(long steps) {
    lastStep = steps;
  }

  /** Asks for a snapshot after the next batch whatever else is due. */
  void requestNext() {
    requested = true;
  }

  /**
   * Whether to publish a snapshot now that {@code batch} is applied, the model at {@code steps}.
   */
  boolean dueAfter(Batch batch, long steps) {
    if (batch.isLive() && batch.lastOfWindow()) {
      pendingLiveWindow = batch.windowIndex();
      return requested || liveIntervalPassed();
    }
    return batch.lastOfWindow() || stepsOrTimeDue(steps) || requested;
  }

  /**
   * The live window whose snapshot is due now (its minimum interval has passed), or -1; the caller
   * publishes the snapshot, then releases the window.
   */
  long liveWindowDue() {
    return pendingLiveWindow >= 0 && liveIntervalPassed() ? pendingLiveWindow : -1;
  }

  /** The trained live window waiting for its snapshot, or -1. */
  long pendingLiveWindow() {
    return pendingLiveWindow;
  }

  private boolean liveIntervalPassed() {
    return nanoClock.getAsLong() - lastNanos >= liveIntervalNanos;
  }

  private boolean stepsOrTimeDue(long steps) {
    if (everySteps > 0 && steps - Math.max(lastStep, 0) >= everySteps) {
      return true;
    }
    return everyNanos > 0 && nanoClock.getAsLong() - lastNanos >= everyNanos;
  }

  /** A snapshot of the model at {@code steps} was published: counts start over. */
  void published(long steps) {
    requested = false;
    pendingLiveWindow = -1;
    lastStep = steps;
    lastNanos = nanoClock.getAsLong();
  }
}
