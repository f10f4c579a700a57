package io.streamtrain.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.NamedTensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArchitecturesTest {
  @TempDir Path dir;

  private static Map<String, NamedTensor> byName(List<NamedTensor> tensors) {
    return tensors.stream().collect(Collectors.toMap(NamedTensor::getName, Function.identity()));
  }

  @Test
  void shouldInitialiseTheSmallCnnAsPyTorchDoes() {
    try (Learner learner =
        Learner.create(ModelSpec.parse("cnn:small"), OptimizerConfig.QUICKSTART, 5, Device.cpu())) {
      Map<String, NamedTensor> state = byName(learner.stateDict());
      float[] conv = Tensors.floats(state.get("features.0.weight"));
      double bound = 1 / Math.sqrt(9); // fan_in 1x3x3
      float max = 0;
      for (float v : conv) {
        max = Math.max(max, Math.abs(v));
      }
      assertTrue(max <= bound && max > 0.9 * bound, "max |w| " + max);
      assertTrue(allEqual(Tensors.floats(state.get("features.1.weight")), 1f));
      assertTrue(allEqual(Tensors.floats(state.get("features.1.bias")), 0f));
      assertTrue(allEqual(Tensors.floats(state.get("features.5.running_mean")), 0f));
      assertTrue(allEqual(Tensors.floats(state.get("features.5.running_var")), 1f));
      assertEquals(0f, Tensors.floats(state.get("features.5.num_batches_tracked"))[0]);
      float[] head = Tensors.floats(state.get("classifier.1.weight"));
      double headBound = 1 / Math.sqrt(64 * 7 * 7);
      for (float v : head) {
        assertTrue(Math.abs(v) <= headBound);
      }
    }
  }

  private static boolean allEqual(float[] values, float expected) {
    for (float v : values) {
      if (v != expected) {
        return false;
      }
    }
    return values.length > 0;
  }

  @Test
  void shouldTrainBatchNormStatisticsAndEvaluateDeterministically() throws Exception {
    ModelSpec spec = ModelSpec.parse("cnn:1x28x28-c4-c8-f16-10");
    try (Learner learner =
            Learner.create(spec, OptimizerConfig.sgd(0.05, 0.9, 0), 3, Device.cpu());
        Learner copy = Learner.create(spec, OptimizerConfig.sgd(0.05, 0.9, 0), 99, Device.cpu())) {
      float[] x = TestData.randomInputs(1, 8, 784);
      float[][] before = learner.predictProbabilities(x, 8);
      for (int i = 0; i < 3; i++) {
        StepResult step =
            learner.step(TestData.randomInputs(i, 8, 784), TestData.randomLabels(i, 8, 10), 8);
        assertTrue(step.finite());
      }
      Map<String, NamedTensor> state = byName(learner.stateDict());
      assertNotEquals(0f, Tensors.floats(state.get("features.1.running_mean"))[0]);
      assertEquals(3f, Tensors.floats(state.get("features.5.num_batches_tracked"))[0]);
      // Eval mode: running statistics, no dropout, the same answer twice.
      float[][] after = learner.predictProbabilities(x, 8);
      assertArrayEquals(after, learner.predictProbabilities(x, 8));
      assertNotEquals(before[0][0], after[0][0]);

      // Through a .pth (int64 num_batches_tracked) into a fresh learner: the same model.
      ModelSnapshot snapshot = StateDicts.snapshot(learner, "cnn").build();
      Path file = dir.resolve("cnn.pth");
      StateDictFiles.save(snapshot, file);
      List<NamedTensor> raw = PthFiles.read(file);
      NamedTensor count = byName(raw).get("features.1.num_batches_tracked");
      assertEquals("int64", count.getDtype());
      assertEquals(3L, Tensors.int64Value(count));
      ModelSnapshot loaded = StateDictFiles.load(file);
      assertEquals(spec.toString(), loaded.getArchitecture(), "inferred from the keys");
      StateDicts.restore(copy, loaded);
      assertArrayEquals(after, copy.predictProbabilities(x, 8));
      try (InferenceModel served = StateDicts.toInferenceModel(loaded, Device.cpu())) {
        assertArrayEquals(after, served.probabilities(x, 8));
      }
    }
  }

  @Test
  void shouldBuildTheCifarResNet18WithTorchvisionKeys() throws Exception {
    ModelSpec spec = ModelSpec.parse("resnet18-cifar");
    assertEquals(11_173_962, spec.parameterCount(), "torchvision's resnet18 with a 3x3 stem");
    try (Learner learner = Learner.create(spec, OptimizerConfig.QUICKSTART, 1, Device.cpu())) {
      float[] x = TestData.randomInputs(2, 2, 3 * 32 * 32);
      StepResult step = learner.step(x, new int[] {1, 7}, 2);
      assertTrue(step.finite());
      float[][] probabilities = learner.predictProbabilities(x, 2);
      assertEquals(10, probabilities[0].length);
      Map<String, NamedTensor> state = byName(learner.stateDict());
      assertEquals(
          List.of(128L, 64L, 1L, 1L), state.get("layer2.0.downsample.0.weight").getShape());
      assertEquals(1f, Tensors.floats(state.get("layer4.1.bn2.num_batches_tracked"))[0]);
      ModelSnapshot snapshot = StateDicts.snapshot(learner, "resnet").build();
      Path file = dir.resolve("resnet.safetensors");
      StateDictFiles.save(snapshot, file);
      ModelSnapshot loaded = StateDictFiles.load(file);
      assertEquals("resnet18:3x32x32-10", loaded.getArchitecture());
      try (InferenceModel served = StateDicts.toInferenceModel(loaded, Device.cpu())) {
        assertArrayEquals(probabilities, served.probabilities(x, 2));
      }
    }
  }
}
