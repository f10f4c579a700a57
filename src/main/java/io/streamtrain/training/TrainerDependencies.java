package io.streamtrain.training;

import io.streamtrain.metrics.TrainingListener;
import io.streamtrain.records.ClassNames;
import io.streamtrain.schema.ModelSnapshot;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * What the trainer needs from outside its task, injected so that topology tests run without a
 * broker: the snapshot to resume from (empty to start from scratch; asked at every task start), the
 * newest version already on the topic, -1 for none (a model started from scratch publishes only
 * versions above it, so that versions on the topic never go down or repeat when a run starts over),
 * the held-out set for the per-epoch evaluation, a listener, the signal of a clean stop, and the
 * class names the feed's decoder learns (restored from the snapshot resumed from).
 */
public record TrainerDependencies(
    Supplier<Optional<ModelSnapshot>> latestSnapshot,
    Supplier<TestSet> testSet,
    TrainingListener listener,
    StopSignal stop,
    LongSupplier versionFloor,
    ClassNames classNames) {

  /** Dependencies whose class names are learned by no decoder (snapshots carry none). */
  public TrainerDependencies(
      Supplier<Optional<ModelSnapshot>> latestSnapshot,
      Supplier<TestSet> testSet,
      TrainingListener listener,
      StopSignal stop,
      LongSupplier versionFloor) {
    this(latestSnapshot, testSet, listener, stop, versionFloor, new ClassNames(0));
  }

  /** Dependencies of a model with no version published yet. */
  public TrainerDependencies(
      Supplier<Optional<ModelSnapshot>> latestSnapshot,
      Supplier<TestSet> testSet,
      TrainingListener listener,
      StopSignal stop) {
    this(latestSnapshot, testSet, listener, stop, () -> -1L);
  }

  public static TrainerDependencies fromScratch() {
    return new TrainerDependencies(
        Optional::empty, () -> TestSet.EMPTY, TrainingListener.NONE, new StopSignal());
  }
}
