package io.streamtrain.topology;

import io.streamtrain.schema.ModelSnapshot;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What the trainer needs from outside its task, injected so that topology tests run without a
 * broker: the newest snapshot of its model (empty to start from scratch), the held-out set for the
 * per-epoch evaluation, a listener, and the signal of a clean stop.
 */
public record TrainerDependencies(
    Supplier<Optional<ModelSnapshot>> latestSnapshot,
    Supplier<TestSet> testSet,
    TrainingListener listener,
    StopSignal stop) {

  public static TrainerDependencies fromScratch() {
    return new TrainerDependencies(
        Optional::empty, () -> TestSet.EMPTY, TrainingListener.NONE, new StopSignal());
  }
}
