package io.streamtrain.training;

import java.util.Map;

/**
 * Counts steps whose loss or gradients were not finite (the learner skipped them) and says when the
 * model must roll back to its last snapshot: after {@code maxBadSteps} consecutive ones. The counts
 * go into every snapshot and carry on after a restart.
 */
final class RollbackGuard {
  // Names in ModelSnapshot.metrics.
  static final String BAD_STEPS = "badSteps";
  static final String ROLLBACKS = "rollbacks";

  private final int maxBadSteps;
  private long badSteps;
  private long rollbacks;
  private int consecutiveBadSteps;

  RollbackGuard(int maxBadSteps) {
    this.maxBadSteps = maxBadSteps;
  }

  /** Carries on from the counts of a snapshot's metrics. */
  void restore(Map<String, Double> snapshotMetrics) {
    badSteps = snapshotMetrics.getOrDefault(BAD_STEPS, 0.0).longValue();
    rollbacks = snapshotMetrics.getOrDefault(ROLLBACKS, 0.0).longValue();
  }

  /**
   * Counts a skipped step.
   *
   * @return whether the model must roll back now
   */
  boolean badStep() {
    badSteps++;
    consecutiveBadSteps++;
    return consecutiveBadSteps >= maxBadSteps;
  }

  /** A finite step ends a run of bad ones. */
  void goodStep() {
    consecutiveBadSteps = 0;
  }

  /** Counts a rollback; the run of bad steps that caused it is over. */
  void rolledBack() {
    rollbacks++;
    consecutiveBadSteps = 0;
  }

  int consecutiveBadSteps() {
    return consecutiveBadSteps;
  }

  /** Steps skipped since the model's first step. */
  long badSteps() {
    return badSteps;
  }

  long rollbacks() {
    return rollbacks;
  }
}
