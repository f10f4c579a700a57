package io.streamtrain.training;

import io.streamtrain.config.Training;
import java.util.function.LongSupplier;

/**
 * When the trainer publishes a snapshot: at every shuffle window's end (which the {@link
 * MiniBatcher}'s crash safety relies on), every {@code snapshotEverySteps} steps or {@code
 * snapshotEveryMs} milliseconds since the last one (0 disables either), and right after a rollback.
 *
 * <p>A live window's end is the exception: its snapshot follows as soon as {@code
 * live.minSnapshotIntervalMs} has passed since the last one, so that live learning reaches the
 * predictors within the interval without a large model flooding the compacted topic. Until then the
 * window is pending: the batcher keeps it until the snapshot that reflects it is published.
 *
 * <p>Under a backlog the interval stretches to a quarter of the age the oldest event waiting for
 * the snapshot had when its window was trained, up to {@value #MAX_BACKLOG_INTERVAL_MS} ms. A
 * trainer that fell behind then spends less of its time (and the predictors' and the broker's) on
 * snapshots and catches up sooner, while the freshness its snapshots add stays a small part of the
 * backlog's. Not with a minimum interval of 0, which asks for every live window's snapshot at once.
 *
 * <p>Big models get their snapshots less often: the live and the timed intervals are at least the
 * time the last snapshot's size takes at {@value #BYTES_PER_SECOND} bytes a second, so that
 * snapshots of a model of any size stay within that budget of the broker's and the predictors'
 * bandwidth (window ends, the final snapshot and step counts are kept as they are).
 */
final class SnapshotPolicy {
  static final long MAX_BACKLOG_INTERVAL_MS = 2_000;

  /** The byte budget of live and timed snapshots. */
  static final long BYTES_PER_SECOND = 32L * 1024 * 1024;

  private static final int BACKLOG_SHARE = 4;
  private final int everySteps;
  private final long everyNanos;
  private final LongSupplier nanoClock;
  private long lastStep = -1;
  private long lastNanos;
  private boolean requested;
  private final long liveIntervalNanos;
  private long pendingLiveWindow = -1;
  private final LongSupplier wallClockMs;
  // The age of the oldest event of the pending live windows when its window was trained.
  private long pendingBacklogMs;
  // The interval the last snapshot's size asks for within the byte budget.
  private long sizeIntervalNanos;

  /** {@code wallClockMs}: the clock of the records' timestamps, in milliseconds. */
  SnapshotPolicy(Training training, LongSupplier wallClockMs) {
    this(
        training.snapshotEverySteps(),
        training.snapshotEveryMs(),
        training.live().minSnapshotIntervalMs(),
        System::nanoTime,
        wallClockMs);
  }

  SnapshotPolicy(int everySteps, int everySeconds, LongSupplier nanoClock) {
    this(everySteps, everySeconds * 1000L, 0, nanoClock, () -> nanoClock.getAsLong() / 1_000_000L);
  }

  /**
   * @param nanoClock a monotonic clock in nanoseconds, like {@link System#nanoTime}
   * @param wallClockMs the clock of the records' timestamps, in milliseconds
   */
  SnapshotPolicy(
      int everySteps,
      long everyMs,
      int liveIntervalMs,
      LongSupplier nanoClock,
      LongSupplier wallClockMs) {
    this.liveIntervalNanos = liveIntervalMs * 1_000_000L;
    this.everySteps = everySteps;
    this.everyNanos = everyMs * 1_000_000L;
    this.nanoClock = nanoClock;
    this.wallClockMs = wallClockMs;
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
      long ageMs = wallClockMs.getAsLong() - batch.live().oldestEventTime();
      pendingBacklogMs = Math.max(pendingBacklogMs, ageMs);
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
    if (liveIntervalNanos == 0) {
      return true; // no minimum interval: every live window's snapshot at once, backlog or not
    }
    long elapsedNanos = nanoClock.getAsLong() - lastNanos;
    if (elapsedNanos < Math.max(liveIntervalNanos, sizeIntervalNanos)) {
      return false;
    }
    long stretchedMs = Math.min(pendingBacklogMs / BACKLOG_SHARE, MAX_BACKLOG_INTERVAL_MS);
    return elapsedNanos >= stretchedMs * 1_000_000L;
  }

  private boolean stepsOrTimeDue(long steps) {
    if (everySteps > 0 && steps - Math.max(lastStep, 0) >= everySteps) {
      return true;
    }
    return everyNanos > 0
        && nanoClock.getAsLong() - lastNanos >= Math.max(everyNanos, sizeIntervalNanos);
  }

  /** Snapshots of about {@code bytes} are expected: the size interval until the first is out. */
  void expect(long bytes) {
    sizeIntervalNanos = sizeIntervalMs(bytes) * 1_000_000L;
  }

  /** The interval a snapshot of {@code bytes} asks for within the byte budget, in milliseconds. */
  static long sizeIntervalMs(long bytes) {
    return bytes * 1000 / BYTES_PER_SECOND;
  }

  /**
   * A snapshot of the model at {@code steps}, {@code bytes} large, was published: counts start
   * over.
   */
  void published(long steps, long bytes) {
    sizeIntervalNanos = sizeIntervalMs(bytes) * 1_000_000L;
    published(steps);
  }

  /** A snapshot of the model at {@code steps} was published: counts start over. */
  void published(long steps) {
    requested = false;
    pendingLiveWindow = -1;
    pendingBacklogMs = 0;
    lastStep = steps;
    lastNanos = nanoClock.getAsLong();
  }
}
