package io.streamtrain.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;
import java.util.List;
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
