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
    return new Batch(0, index, count, 1, false, 1, new float[1], new int[1], "feed-0", 0, 10);
  }

  @Test
  void shouldSnapshotAtEveryWindowEndEvenWithStepsAndTimeDisabled() {
    SnapshotPolicy policy = new SnapshotPolicy(0, 0, clock::get);
    policy.startAt(0);
    assertFalse(policy.dueAfter(batch(0, 3), 1_000));
    assertTrue(policy.dueAfter(batch(2, 3), 1));
    assertTrue(policy.dueAfter(batch(0, 0), 1), "an empty window ends at once");
  }

  @Test
  void shouldSnapshotEveryKStepsCountedFromTheLastSnapshot() {
    SnapshotPolicy policy = new SnapshotPolicy(10, 0, clock::get);
    policy.startAt(100);
    assertFalse(policy.dueAfter(batch(0, 50), 109));
    assertTrue(policy.dueAfter(batch(0, 50), 110));
    policy.published(110);
    assertFalse(policy.dueAfter(batch(0, 50), 119));
    assertTrue(policy.dueAfter(batch(0, 50), 120));
  }

  @Test
  void shouldSnapshotEveryTSecondsSinceTheLastSnapshot() {
    SnapshotPolicy policy = new SnapshotPolicy(0, 30, clock::get);
    policy.startAt(0);
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
    SnapshotPolicy policy = new SnapshotPolicy(0, 0, clock::get);
    policy.startAt(0);
    policy.requestNext();
    assertTrue(policy.dueAfter(batch(0, 50), 1));
    policy.published(1);
    assertFalse(policy.dueAfter(batch(1, 50), 2), "the request was served");
  }
}
