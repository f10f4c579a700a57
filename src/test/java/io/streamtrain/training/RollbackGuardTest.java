package io.streamtrain.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class RollbackGuardTest {

  @Test
  void shouldCallForARollbackOnlyAfterMaxConsecutiveBadSteps() {
    RollbackGuard guard = new RollbackGuard(3);
    assertFalse(guard.badStep());
    assertFalse(guard.badStep());
    guard.goodStep();
    assertFalse(guard.badStep(), "a finite step ends the run");
    assertFalse(guard.badStep());
    assertTrue(guard.badStep());
    assertEquals(3, guard.consecutiveBadSteps());
    guard.rolledBack();
    assertEquals(0, guard.consecutiveBadSteps());
    assertEquals(5, guard.badSteps(), "every skipped step is counted");
    assertEquals(1, guard.rollbacks());
  }

  @Test
  void shouldCarryOnFromASnapshotsCounts() {
    RollbackGuard guard = new RollbackGuard(1);
    guard.restore(Map.of(RollbackGuard.BAD_STEPS, 7.0, RollbackGuard.ROLLBACKS, 2.0, "other", 1.0));
    assertTrue(guard.badStep());
    guard.rolledBack();
    assertEquals(8, guard.badSteps());
    assertEquals(3, guard.rollbacks());
  }
}
