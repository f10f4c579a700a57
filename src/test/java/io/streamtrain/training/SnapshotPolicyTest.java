package io.streamtrain.training;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** When a snapshot is due, on a clock the test moves. */
class SnapshotPolicyTest {
  private static final long SECOND = 1_000_000_000L;
  private final AtomicLong clock = new AtomicLong(5 * SECOND);

  /** Batch {@code index} of a window of {@code count}. */
  private static Batch batch(int index, int count) {
    return new Batch(0, index, count, 1, false, 1, new float[1], new int[1], "feed-0", 0, 10, null);
  }

  private long nowMs() {
    return clock.get() / 1_000_000L;
  }

  /** The last batch of live window {@code window}, its events produced just now. */
  private Batch liveWindowEnd(long window) {
    return liveWindowEnd(window, nowMs());
  }

  /** The last batch of live window {@code window}, its oldest event produced at {@code eventMs}. */
  private static Batch liveWindowEnd(long window, long eventMs) {
    return new Batch(
        window,
        0,
        1,
        0,
        false,
        1,
        new float[1],
        new int[1],
        "feed-0",
        0,
        10,
        new Batch.LiveSpan(eventMs, eventMs));
  }

  private SnapshotPolicy livePolicy() {
    SnapshotPolicy policy = new SnapshotPolicy(0, 0, 250, clock::get, this::nowMs);
    policy.startAt(0);
    policy.published(0);
    return policy;
  }

  @Test
  void shouldHoldALiveWindowsSnapshotUntilTheMinimumIntervalHasPassed() {
    SnapshotPolicy policy = livePolicy();
    clock.addAndGet(100_000_000L);
    assertFalse(policy.dueAfter(liveWindowEnd(3), 1), "100 ms after the last snapshot");
    assertTrue(policy.liveWindowDue() < 0);
    clock.addAndGet(100_000_000L);
    assertFalse(policy.dueAfter(liveWindowEnd(4), 2));
    clock.addAndGet(50_000_000L);
    assertTrue(policy.liveWindowDue() == 4, "the newest pending window, once 250 ms passed");
    policy.published(2);
    assertTrue(policy.liveWindowDue() < 0, "published: nothing pending");
    clock.addAndGet(300_000_000L);
    assertTrue(policy.dueAfter(liveWindowEnd(5), 3), "the interval passed: right away");
  }

  @Test
  void shouldSpaceLiveSnapshotsByAQuarterOfTheBacklogUpToTwoSeconds() {
    SnapshotPolicy policy = livePolicy();
    clock.addAndGet(300_000_000L);
    assertFalse(
        policy.dueAfter(liveWindowEnd(1, nowMs() - 4_000), 1),
        "an event 4 s old when its window was trained: the interval stretches to 1 s");
    clock.addAndGet(600_000_000L);
    assertTrue(policy.liveWindowDue() < 0, "900 ms");
    clock.addAndGet(100_000_000L);
    assertTrue(policy.liveWindowDue() == 1, "1 s after the last snapshot");
    policy.published(1);
    clock.addAndGet(1_900_000_000L);
    assertFalse(policy.dueAfter(liveWindowEnd(2, nowMs() - 60_000), 2), "a minute's backlog");
    clock.addAndGet(100_000_000L);
    assertTrue(policy.liveWindowDue() == 2, "stretched to 2 s at most");
  }

  @Test
  void shouldNotStretchWhenTheMinimumIntervalIsZero() {
    SnapshotPolicy policy = new SnapshotPolicy(0, 0, 0, clock::get, this::nowMs);
    policy.startAt(0);
    policy.published(0);
    assertTrue(policy.dueAfter(liveWindowEnd(1, nowMs() - 60_000), 1), "a minute's backlog");
  }

  @Test
  void shouldSnapshotAtEveryWindowEndEvenWithStepsAndTimeDisabled() {
    SnapshotPolicy policy = startedAt(0, 0, 0);
    assertFalse(policy.dueAfter(batch(0, 3), 1_000));
    assertTrue(policy.dueAfter(batch(2, 3), 1));
    assertTrue(policy.dueAfter(batch(0, 0), 1), "an empty window ends at once");
  }

  @Test
  void shouldSnapshotEveryKStepsCountedFromTheLastSnapshot() {
    SnapshotPolicy policy = startedAt(100, 10, 0);
    assertFalse(policy.dueAfter(batch(0, 50), 109));
    assertTrue(policy.dueAfter(batch(0, 50), 110));
    policy.published(110);
    assertFalse(policy.dueAfter(batch(0, 50), 119));
    assertTrue(policy.dueAfter(batch(0, 50), 120));
  }

  @Test
  void shouldSnapshotEveryTSecondsSinceTheLastSnapshot() {
    SnapshotPolicy policy = startedAt(0, 0, 30);
    clock.addAndGet(29 * SECOND);
    assertFalse(policy.dueAfter(batch(0, 50), 1));
    clock.addAndGet(SECOND);
    assertTrue(policy.dueAfter(batch(0, 50), 1));
    policy.published(1);
    clock.addAndGet(29 * SECOND);
    assertFalse(policy.dueAfter(batch(0, 50), 2));
  }

  @Test
  void shouldSnapshotRightAfterARequestOnceOnly() {
    SnapshotPolicy policy = startedAt(0, 0, 0);
    policy.requestNext();
    assertTrue(policy.dueAfter(batch(0, 50), 1));
    policy.published(1);
    assertFalse(policy.dueAfter(batch(1, 50), 2), "the request was served");
  }

  @Test
  void shouldSpaceLiveAndTimedSnapshotsOfABigModelByItsSizeAtTheByteBudget() {
    long resnetWithAdam = 134_138_795L; // a 4 s interval at 32 MiB/s
    SnapshotPolicy live = livePolicy();
    live.published(0, resnetWithAdam);
    clock.addAndGet(2 * SECOND);
    assertFalse(live.dueAfter(liveWindowEnd(1), 1), "2 s: well past 250 ms, short of 4 s");
    assertTrue(live.dueAfter(batch(0, 1), 2), "a replayed window's end is never held back");
    clock.addAndGet(2 * SECOND);
    assertTrue(live.liveWindowDue() == 1, "4 s after the last snapshot");

    SnapshotPolicy timed = startedAt(0, 0, 1);
    timed.published(0, resnetWithAdam);
    clock.addAndGet(3 * SECOND);
    assertFalse(timed.dueAfter(batch(0, 50), 1), "every 1 s asked, 4 s the size allows");
    clock.addAndGet(SECOND);
    assertTrue(timed.dueAfter(batch(0, 50), 1));
  }

  @Test
  void shouldKeepTheLiveIntervalForTheQuickstartMlp() {
    SnapshotPolicy policy = livePolicy();
    policy.published(0, 2_679_299L); // 80 ms at the budget: below the 250 ms asked
    clock.addAndGet(250_000_000L);
    assertTrue(policy.dueAfter(liveWindowEnd(1), 1));
  }

  /** A policy snapshotting every {@code steps} steps and {@code seconds} s, started at a step. */
  private SnapshotPolicy startedAt(long step, int steps, int seconds) {
    SnapshotPolicy policy = new SnapshotPolicy(steps, seconds, clock::get);
    policy.startAt(step);
    return policy;
  }
}
