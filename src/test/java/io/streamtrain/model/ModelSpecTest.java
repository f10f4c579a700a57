package io.streamtrain.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelSpecTest {
  @Test
  void shouldParseAndPrintTheQuickstartMlp() {
    ModelSpec spec = ModelSpec.parse("mlp:784-512-512-10");
    assertEquals(ModelSpec.QUICKSTART, spec);
    assertEquals("mlp:784-512-512-10", spec.toString());
    assertEquals(784, spec.inputFeatures());
    assertEquals(10, spec.numClasses());
    assertArrayEquals(new long[] {1, 28, 28}, spec.inputShape());
    assertArrayEquals(new long[] {512, 784}, spec.weightShape(0));
    assertEquals("linear_relu_stack.4.bias", spec.biasName(2));
    assertEquals(669_706, spec.parameterCount());
    assertEquals(List.of(8, 3), ModelSpec.parse("mlp:8-3").widths());
  }

  @Test
  void shouldRejectMalformedSpecsWithOneLine() {
    for (String bad : List.of("cnn:1-2", "mlp:784", "mlp:784-x-10", "mlp:784-0-10", "")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> ModelSpec.parse(bad));
      assertEquals(1, e.getMessage().lines().count());
    }
  }

  @Test
  void shouldExpandPresetsToCanonicalSpecs() {
    assertEquals(ModelSpec.QUICKSTART, ModelSpec.parse("quickstart"));
    ModelSpec cnn = ModelSpec.parse("cnn:small");
    assertEquals("cnn:1x28x28-c32-c64-f128-10", cnn.toString());
    assertEquals(cnn, ModelSpec.parse(cnn.toString()));
    assertEquals(784, cnn.inputFeatures());
    assertArrayEquals(new long[] {1, 28, 28}, cnn.inputShape());
    assertEquals(ModelSpec.Kind.CNN, cnn.kind());
    ModelSpec resnet = ModelSpec.parse("resnet18-cifar");
    assertEquals("resnet18:3x32x32-10", resnet.toString());
    assertEquals(3 * 32 * 32, resnet.inputFeatures());
    assertEquals(10, resnet.numClasses());
  }

  @Test
  void shouldNameTheSmallCnnsKeysAsPyTorchDoes() {
    ModelSpec cnn = ModelSpec.parse("cnn:small");
    List<String> bn =
        List.of("weight", "bias", "running_mean", "running_var", "num_batches_tracked");
    assertEquals(
        List.of(
            "features.0.weight",
            "features.0.bias",
            "features.1.weight",
            "features.1.bias",
            "features.4.weight",
            "features.4.bias",
            "features.5.weight",
            "features.5.bias",
            "classifier.1.weight",
            "classifier.1.bias",
            "classifier.4.weight",
            "classifier.4.bias",
            "features.1.running_mean",
            "features.1.running_var",
            "features.1.num_batches_tracked",
            "features.5.running_mean",
            "features.5.running_var",
            "features.5.num_batches_tracked"),
        cnn.parameterNames());
    assertEquals(12, cnn.trainableCount());
    assertArrayEquals(new long[] {64, 32, 3, 3}, cnn.parameterShapes().get(4));
    assertArrayEquals(new long[] {128, 64 * 7 * 7}, cnn.parameterShapes().get(8));
    assertArrayEquals(new long[] {}, cnn.parameterShapes().get(14));
    assertEquals(
        bn.size(), cnn.parameterNames().stream().filter(n -> n.startsWith("features.1.")).count());
  }

  @Test
  void shouldSayWhatIsWrongWithACnnOrResNetSpec() {
    Map<String, String> cases =
        Map.of(
            "cnn:1x28x28-10", "should be cnn:CxHxW",
            "cnn:1x28-c32-10", "bad input shape '1x28'",
            "cnn:1x30x30-c32-c64-10", "cannot be halved 2 times",
            "cnn:1x28x28-f10-c32-10", "bad layer 'c32'",
            "cnn:1x28x28-c0-10", "channel count must be positive",
            "resnet18:3x32x32", "should be resnet18:CxHxW-CLASSES",
            "resnet18:3x36x36-10", "cannot be halved 3 times",
            "transformer:big", "unknown model 'transformer:big'");
    cases.forEach(
        (bad, expected) -> {
          IllegalArgumentException e =
              assertThrows(IllegalArgumentException.class, () -> ModelSpec.parse(bad));
          assertTrue(e.getMessage().contains(expected), bad + ": " + e.getMessage());
          assertEquals(1, e.getMessage().lines().count());
        });
  }

  @Test
  void shouldSelectTheCpuAndRefuseAMissingGpu() {
    assertEquals(Device.cpu(), Devices.select("cpu"));
    assertEquals(Device.cpu(), Devices.select("auto"));
    IllegalArgumentException gpu =
        assertThrows(IllegalArgumentException.class, () -> Devices.select("gpu"));
    assertEquals(1, gpu.getMessage().lines().count());
    assertThrows(IllegalArgumentException.class, () -> Devices.select("tpu"));
  }

  @Test
  void shouldBuildOptimizersFromFlags() {
    assertEquals(OptimizerConfig.sgd(0.01, 0.9, 0), OptimizerConfig.of("sgd", 0.01, 0.9, 0));
    assertEquals(OptimizerConfig.Kind.ADAM, OptimizerConfig.of("Adam", 1e-3, 0, 0).kind());
    assertThrows(IllegalArgumentException.class, () -> OptimizerConfig.of("rmsprop", 1e-3, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> OptimizerConfig.of("sgd", -1, 0, 0));
  }
}
