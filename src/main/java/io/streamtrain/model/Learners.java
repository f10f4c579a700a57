package io.streamtrain.model;

import io.streamtrain.config.Training;

/** Learners built from a run's training settings. */
public final class Learners {
  private Learners() {}

  /**
   * A fresh model initialised from the run's seed, on the configured device: what a trainer starts
   * from, and what {@code bench} trains in memory beside it.
   */
  public static Learner create(Training training) {
    return Learner.create(
        ModelSpec.parse(training.architecture()),
        OptimizerConfig.of(
            training.optimizer(),
            training.learningRate(),
            training.momentum(),
            training.weightDecay()),
        training.seed(),
        Devices.select(training.device()));
  }
}
