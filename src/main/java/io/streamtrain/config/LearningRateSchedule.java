package io.streamtrain.config;

/**
 * The learning rate of each epoch, as DJL's {@code Tracker} gives it: {@code initial} decayed by
 * {@code decayPerEpoch} each epoch after the first ({@code --lr}, {@code --lr-decay}). The one
 * place both are checked; the optimizer (model.OptimizerConfig) carries it, and the learner sets
 * the rate it gives at each epoch's start.
 */
public record LearningRateSchedule(double initial, double decayPerEpoch) {

  public LearningRateSchedule {
    if (!(initial > 0 && Double.isFinite(initial))) {
      throw new IllegalArgumentException("--lr must be a positive number (got " + initial + ")");
    }
    if (!(decayPerEpoch > 0 && decayPerEpoch <= 1)) {
      throw new IllegalArgumentException(
          "--lr-decay must be in (0, 1] (got " + decayPerEpoch + ")");
    }
  }

  /** {@code lr} in every epoch. */
  public static LearningRateSchedule constant(double lr) {
    return new LearningRateSchedule(lr, 1.0);
  }

  /** The learning rate of {@code epoch} (1-based; 0, before the first epoch, as 1). */
  public double at(int epoch) {
    return initial * Math.pow(decayPerEpoch, Math.max(0, epoch - 1));
  }
}
