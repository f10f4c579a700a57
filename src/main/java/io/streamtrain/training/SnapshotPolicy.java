package io.streamtrain.training;

import io.streamtrain.config.Training;
import java.util.function.LongSupplier;

/**
 * When the trainer publishes a snapshot: at every shuffle window's end (which the {@link
 * MiniBatcher}'s crash safety relies on), every {@code snapshotEverySteps} steps or {@code
 * snapshotEverySeconds} seconds since the last one (0 disables either), and right after a rollback.
 */
final class SnapshotPolicy {
  private final int everySteps;
  private final long everyNanos;
  private final LongSupplier nanoClock;
  private long lastStep = -1;
  private long lastNanos;
  private boolean requested;

  SnapshotPolicy(Training training) {
    this(training.snapshotEverySteps(), training.snapshotEverySeconds(), System::nanoTime);
  }

  /** {@code nanoClock}: a monotonic clock in nanoseconds, like {@link System#nanoTime}. */
  SnapshotPolicy(int everySteps, int everySeconds, LongSupplier nanoClock) {
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
    return batch.lastOfWindow() || stepsOrTimeDue(steps) || requested;
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
    lastStep = steps;
    lastNanos = nanoClock.getAsLong();
  }
}
