package io.streamtrain.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.config.Training;
import io.streamtrain.schema.NamedTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class LearnerTest {
  private static final String TINY = "mlp:6-5-4-3";

  @Test
  void shouldInitialiseWithinPyTorchBoundsDeterministicallyPerSeed() {
    try (Learner a = TestData.learner("mlp:784-512-512-10", OptimizerConfig.QUICKSTART, 7);
        Learner b = TestData.learner("mlp:784-512-512-10", OptimizerConfig.QUICKSTART, 7);
        Learner c = TestData.learner("mlp:784-512-512-10", OptimizerConfig.QUICKSTART, 8)) {
      List<NamedTensor> state = a.stateDict();
      assertEquals(ModelSpec.QUICKSTART.parameterNames().size(), state.size());
      int[] fanIn = {784, 784, 512, 512, 512, 512};
      for (int i = 0; i < state.size(); i++) {
        float[] values = Tensors.floats(state.get(i));
        double bound = 1 / Math.sqrt(fanIn[i]);
        double sum = 0;
        double sumSquares = 0;
        double max = 0;
        for (float v : values) {
          sum += v;
          sumSquares += v * v;
          max = Math.max(max, Math.abs(v));
        }
        double mean = sum / values.length;
        double variance = sumSquares / values.length - mean * mean;
        assertTrue(max <= bound, state.get(i).getName() + " exceeds the bound");
        assertTrue(max > 0.95 * bound, state.get(i).getName() + " does not fill the range");
        assertEquals(0, mean, 5 * bound / Math.sqrt(3 * values.length), "mean of " + i);
        // U(-b, b) has variance b^2/3; allow a few percent on large tensors, more on biases.
        assertEquals(
            bound * bound / 3, variance, (values.length > 1000 ? 0.03 : 0.3) * bound * bound / 3);
      }
      assertArrayEquals(TestData.bytes(state), TestData.bytes(b.stateDict()));
      assertFalse(java.util.Arrays.equals(TestData.bytes(state), TestData.bytes(c.stateDict())));
    }
  }

  @Test
  void shouldBuildTheRunsModelFromItsTrainingSettings() {
    Training training = Training.reference();
    try (Learner fromSettings = Learners.create(training);
        Learner same =
            Learner.create(
                ModelSpec.QUICKSTART, OptimizerConfig.QUICKSTART, 42, Devices.select("auto"))) {
      assertEquals(ModelSpec.QUICKSTART.parameterNames().size(), fromSettings.stateDict().size());
      assertEquals(OptimizerConfig.QUICKSTART, fromSettings.optimizerConfig());
      assertEquals(0, fromSettings.steps());
      assertArrayEquals(
          TestData.bytes(same.stateDict()),
          TestData.bytes(fromSettings.stateDict()),
          "initialised from the run's seed");
    }
  }

  @Test
  void shouldMatchHandComputedPlainSgdStep() {
    checkAgainstReference(OptimizerConfig.sgd(0.1, 0, 0), 1);
  }

  @Test
  void shouldMatchHandComputedSgdWithMomentumAndWeightDecayOverThreeSteps() {
    checkAgainstReference(OptimizerConfig.sgd(0.1, 0.9, 0.01), 3);
  }

  @Test
  void shouldMatchHandComputedAdamOverThreeSteps() {
    checkAgainstReference(OptimizerConfig.adam(0.01, 0.001), 3);
  }

  private void checkAgainstReference(OptimizerConfig config, int steps) {
    try (Learner learner = TestData.learner(TINY, config, 3)) {
      ReferenceMlp reference = new ReferenceMlp(learner.spec(), learner.stateDict());
      for (int step = 0; step < steps; step++) {
        float[] x = TestData.randomInputs(100 + step, 4, 6);
        int[] labels = TestData.randomLabels(200 + step, 4, 3);
        double expectedLoss = reference.lossAndGradients(x, labels, 4, new ArrayList<>());
        StepResult result = learner.step(x, labels, 4);
        assertTrue(result.finite());
        assertEquals(expectedLoss, result.loss(), 1e-5);
        if (config.kind() == OptimizerConfig.Kind.SGD) {
          reference.sgdStep(
              x, labels, 4, config.learningRate(), config.momentum(), config.weightDecay());
        } else {
          reference.adamStep(x, labels, 4, config.learningRate(), config.weightDecay());
        }
      }
      List<NamedTensor> actual = learner.stateDict();
      for (int p = 0; p < actual.size(); p++) {
        float[] values = Tensors.floats(actual.get(p));
        for (int i = 0; i < values.length; i++) {
          assertEquals(
              reference.params.get(p)[i], values[i], 2e-6, actual.get(p).getName() + "[" + i + "]");
        }
      }
      assertEquals(steps, learner.steps());
    }
  }

  @Test
  void shouldReportLossAndCorrectCountFromTheForwardPassBeforeTheUpdate() {
    try (Learner learner = TestData.learner(TINY, OptimizerConfig.sgd(0.5, 0, 0), 5)) {
      float[] x = TestData.randomInputs(1, 8, 6);
      int[] labels = TestData.randomLabels(2, 8, 3);
      float[][] before = learner.predictProbabilities(x, 8);
      int expectedCorrect = 0;
      double expectedLoss = 0;
      for (int i = 0; i < 8; i++) {
        int best = 0;
        for (int c = 1; c < 3; c++) {
          best = before[i][c] > before[i][best] ? c : best;
        }
        expectedCorrect += best == labels[i] ? 1 : 0;
        expectedLoss -= Math.log(before[i][labels[i]]) / 8;
        assertEquals(1.0, before[i][0] + before[i][1] + before[i][2], 1e-6);
      }
      StepResult result = learner.step(x, labels, 8);
      assertEquals(expectedCorrect, result.correct());
      assertEquals(expectedLoss, result.loss(), 1e-5);
      assertEquals(8, result.size());
    }
  }

  @Test
  void shouldSkipAndCountANanBatchLeavingParametersUnchanged() {
    try (Learner learner = TestData.learner(TINY, OptimizerConfig.sgd(0.1, 0.9, 0), 5)) {
      float[] good = TestData.randomInputs(1, 4, 6);
      int[] labels = TestData.randomLabels(2, 4, 3);
      learner.step(good, labels, 4);
      byte[] before = TestData.bytes(learner.stateDict());
      byte[] momentumBefore = TestData.bytes(learner.optimizerState());
      float[] bad = good.clone();
      bad[3] = Float.NaN;
      StepResult result = learner.step(bad, labels, 4);
      assertFalse(result.finite());
      assertEquals(1, learner.skippedSteps());
      assertEquals(1, learner.steps());
      assertEquals(1, result.version());
      assertArrayEquals(before, TestData.bytes(learner.stateDict()));
      assertArrayEquals(momentumBefore, TestData.bytes(learner.optimizerState()));
      assertTrue(learner.parametersFinite());
      // The NaN gradients were cleared: the next good step is as if the bad one never happened.
      try (Learner twin = TestData.learner(TINY, OptimizerConfig.sgd(0.1, 0.9, 0), 5)) {
        twin.step(good, labels, 4);
        twin.step(good, labels, 4);
        assertTrue(learner.step(good, labels, 4).finite());
        assertArrayEquals(TestData.bytes(twin.stateDict()), TestData.bytes(learner.stateDict()));
      }
    }
  }

  @Test
  void shouldEndBitwiseEqualForTheSameSeedAndBatches() {
    for (OptimizerConfig config :
        List.of(OptimizerConfig.sgd(0.05, 0.9, 1e-4), OptimizerConfig.adam(1e-3, 0))) {
      try (Learner a = TestData.learner("mlp:784-64-10", config, 11);
          Learner b = TestData.learner("mlp:784-64-10", config, 11)) {
        for (int step = 0; step < 20; step++) {
          float[] x = TestData.randomInputs(step, 16, 784);
          int[] labels = TestData.randomLabels(step, 16, 10);
          assertEquals(a.step(x, labels, 16), b.step(x, labels, 16));
        }
        assertArrayEquals(TestData.bytes(a.stateDict()), TestData.bytes(b.stateDict()));
        assertArrayEquals(TestData.bytes(a.optimizerState()), TestData.bytes(b.optimizerState()));
      }
    }
  }

  @Test
  void shouldReduceTheLossOnASeparableDataset() {
    // Four Gaussian blobs in 8 dimensions, one per class.
    int n = 512;
    int features = 8;
    SplittableRandom random = new SplittableRandom(42);
    float[] x = new float[n * features];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = i % 4;
      for (int f = 0; f < features; f++) {
        double centre = f % 4 == labels[i] ? 2.0 : 0.0;
        x[i * features + f] = (float) (centre + 0.3 * random.nextGaussian());
      }
    }
    try (Learner learner = TestData.learner("mlp:8-16-4", OptimizerConfig.sgd(0.1, 0.9, 0), 1)) {
      Evaluation before = learner.evaluate(x, labels, n, 64);
      float[] batch = new float[32 * features];
      int[] batchLabels = new int[32];
      for (int step = 0; step < 300; step++) {
        int start = (step * 32) % n;
        System.arraycopy(x, start * features, batch, 0, 32 * features);
        System.arraycopy(labels, start, batchLabels, 0, 32);
        learner.step(batch, batchLabels, 32);
      }
      Evaluation after = learner.evaluate(x, labels, n, 64);
      assertTrue(after.averageLoss() < 0.1 * before.averageLoss(), before + " -> " + after);
      assertTrue(after.accuracy() > 0.98, after.toString());
      assertEquals(8, after.batches());
    }
  }

  @Test
  void shouldKeepNoNDArraysAliveAcrossSteps() {
    try (Learner learner = TestData.learner("mlp:784-32-10", OptimizerConfig.adam(1e-3, 1e-4), 1)) {
      float[] x = TestData.randomInputs(1, 64, 784);
      int[] labels = TestData.randomLabels(1, 64, 10);
      learner.step(x, labels, 64);
      learner.predictProbabilities(x, 3);
      learner.evaluate(x, labels, 64, 10);
      assertTrue(learner.parametersFinite());
      int arrays = learner.managedArrayCount();
      for (int i = 0; i < 200; i++) {
        learner.step(x, labels, 64);
      }
      learner.predictProbabilities(x, 3);
      learner.evaluate(x, labels, 64, 10);
      assertTrue(learner.parametersFinite());
      learner.stateDict();
      learner.optimizerState();
      assertEquals(arrays, learner.managedArrayCount());
    }
  }

  @Test
  void shouldTrainFromAThreadThatNeverSawTheEngine() throws Exception {
    try (Learner learner = TestData.learner(TINY, OptimizerConfig.sgd(0.1, 0.9, 0), 5)) {
      byte[] before = TestData.bytes(learner.stateDict());
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Thread thread =
          new Thread(
              () -> {
                try {
                  learner.step(TestData.randomInputs(1, 4, 6), TestData.randomLabels(1, 4, 3), 4);
                  learner.predictProbabilities(TestData.randomInputs(1, 4, 6), 4);
                } catch (Throwable e) {
                  failure.set(e);
                }
              });
      thread.start();
      thread.join(30_000);
      assertEquals(null, failure.get());
      assertEquals(1, learner.steps());
      assertNotEquals(
          java.util.Arrays.hashCode(before),
          java.util.Arrays.hashCode(TestData.bytes(learner.stateDict())));
    }
  }

  @Test
  void shouldRejectLabelsOutsideTheClasses() {
    try (Learner learner = TestData.learner(TINY, OptimizerConfig.QUICKSTART, 5)) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> learner.step(TestData.randomInputs(1, 2, 6), new int[] {0, 3}, 2));
      assertTrue(e.getMessage().contains("label 3 is outside 0..2"), e.getMessage());
      assertEquals(0, learner.steps());
      assertTrue(learner.step(TestData.randomInputs(1, 2, 6), new int[] {0, 2}, 2).finite());
    }
  }
}
