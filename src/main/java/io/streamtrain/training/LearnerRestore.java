package io.streamtrain.training;

import io.streamtrain.model.Learner;
import io.streamtrain.model.StateDicts;
import io.streamtrain.schema.ModelSnapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts a learner's parameters and optimizer state where a trainer starts or rolls back to, without
 * letting its version counter go down: a resumed model continues after the newest version on the
 * topic, a rolled-back one keeps its counter.
 */
final class LearnerRestore {
  // Logged under the trainer's name: what operators filter on.
  private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

  private final String modelName;
  private final TrainingSetup setup;

  LearnerRestore(String modelName, TrainingSetup setup) {
    this.modelName = modelName;
    this.setup = setup;
  }

  /** Restores {@code snapshot} into a fresh learner, at version {@code floor} or later. */
  void resume(Learner fresh, ModelSnapshot snapshot, long floor, int epoch) {
    StateDicts.restore(fresh, withVersion(snapshot, Math.max(floor, snapshot.getVersion())));
    fresh.startEpoch(epoch);
    LOG.info(
        "Resuming model {} from snapshot version {} (epoch {}, window {}, {} batches applied{})",
        modelName,
        snapshot.getVersion(),
        epoch,
        snapshot.getWindowIndex(),
        snapshot.getBatchesApplied(),
        fresh.steps() != snapshot.getVersion()
            ? "; versions continue after " + fresh.steps() + ", the newest on the topic"
            : "");
  }

  /** A fresh learner's versions continue after {@code floor}. */
  void fromScratch(Learner fresh, long floor) {
    if (floor > 0) {
      renumber(fresh, floor);
      LOG.info(
          "Starting model {} from scratch; versions continue after {}, the newest on the topic",
          modelName,
          floor);
    }
  }

  /** Restores {@code snapshot}'s parameters and optimizer state; the version counter stays. */
  void keepingVersion(Learner learner, ModelSnapshot snapshot) {
    StateDicts.restore(learner, withVersion(snapshot, learner.steps()));
  }

  /**
   * Closes {@code learner} and returns a freshly initialised one at its version, for {@code epoch}.
   */
  Learner reinitialise(Learner learner, int epoch) {
    long version = learner.steps();
    learner.close();
    Learner fresh = setup.newLearner();
    fresh.startEpoch(epoch);
    renumber(fresh, version);
    return fresh;
  }

  /** {@code snapshot} with another version number; tensors and checksum unchanged. */
  private static ModelSnapshot withVersion(ModelSnapshot snapshot, long version) {
    return snapshot.getVersion() == version
        ? snapshot
        : ModelSnapshot.newBuilder(snapshot).setVersion(version).build();
  }

  /** Sets a fresh learner's version counter without touching its parameters. */
  private void renumber(Learner fresh, long version) {
    StateDicts.restore(fresh, StateDicts.snapshot(fresh, modelName).version(version).build());
  }
}
