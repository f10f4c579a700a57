package io.streamtrain.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class InferenceModelTest {
  @Test
  void shouldServeACopyThatLaterTrainingDoesNotChange() throws Exception {
    try (Learner learner = TestData.learner("mlp:784-16-10", OptimizerConfig.sgd(0.1, 0, 0), 4)) {
      float[] x = TestData.randomInputs(1, 5, 784);
      float[][] expected = learner.predictProbabilities(x, 5);
      try (InferenceModel model = learner.toInferenceModel()) {
        learner.step(x, TestData.randomLabels(1, 5, 10), 5);
        assertArrayEquals(expected, model.probabilities(x, 5));
        // The next model is prepared on another thread while this one keeps serving.
        CompletableFuture<InferenceModel> next =
            CompletableFuture.supplyAsync(learner::toInferenceModel);
        assertArrayEquals(expected, model.probabilities(x, 5));
        try (InferenceModel newer = next.get(30, TimeUnit.SECONDS)) {
          assertEquals(1, newer.version());
          assertArrayEquals(learner.predictProbabilities(x, 5), newer.probabilities(x, 5));
        }
      }
    }
  }

  @Test
  void shouldRefuseCallsAfterClose() {
    try (Learner learner = TestData.learner("mlp:784-16-10", OptimizerConfig.QUICKSTART, 4)) {
      InferenceModel model = learner.toInferenceModel();
      model.close();
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class,
              () -> model.probabilities(TestData.randomInputs(1, 1, 784), 1));
      assertEquals(
          "model version 0 was closed after a hot swap; fetch the current model", e.getMessage());
    }
  }
}
