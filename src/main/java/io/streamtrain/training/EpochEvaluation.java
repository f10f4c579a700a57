package io.streamtrain.training;

import io.streamtrain.model.Evaluation;
import io.streamtrain.model.Learner;
import java.util.Optional;
import java.util.function.Supplier;

/** The test evaluation at an epoch's end, on the held-out set as it is then. */
final class EpochEvaluation {
  private static final int BATCH_SIZE = 64;

  /** The model's loss and accuracy on {@code examples} held-out examples. */
  record Result(Evaluation evaluation, int examples) {}

  private final Supplier<TestSet> testSet;

  EpochEvaluation(Supplier<TestSet> testSet) {
    this.testSet = testSet;
  }

  /** The model on the test set, or empty when there is none. */
  Optional<Result> evaluate(Learner learner) {
    TestSet test = testSet.get();
    if (test.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        new Result(
            learner.evaluate(test.pixels(), test.labels(), test.count(), BATCH_SIZE),
            test.count()));
  }
}
