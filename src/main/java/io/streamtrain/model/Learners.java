package io.streamtrain.model;

import io.streamtrain.config.Training;

/** Learners built from a run's training settings. */
public final class Learners {
  private Learners() {}

  /**
   * A fresh model initialised from the run's seed, on the configured device: what {@code bench}
   * trains in memory beside the pipeline. Parses the spec and optimizer of {@code training}.
   */
  public static Learner create(Training training) {
    return create(ModelSpec.parse(training.architecture()), OptimizerConfig.of(training), training);
  }

  /** A fresh {@code spec} with {@code optimizer}, from {@code training}'s seed and device. */
  public static Learner create(ModelSpec spec, OptimizerConfig optimizer, Training training) {
    return Learner.create(spec, optimizer, training.seed(), Devices.select(training.device()));
  }
}
