package io.streamtrain.model;

import ai.djl.Device;
import java.util.List;
import org.junit.jupiter.api.Test;

class TsDebugIT {
  @Test
  void debug() {
    ModelSpec spec = ModelSpec.parse("torchscript:/tmp/ts-work/c.pt");
    float[] x = TestData.randomInputs(3, 32, 784);
    int[] y = TestData.randomLabels(4, 32, 10);
    try (Learner learner = Learner.create(spec, OptimizerConfig.adam(1e-3, 0), 42, Device.cpu())) {
      for (int i = 0; i < 5; i++) learner.step(x, y, 32);
      System.out.println("learner " + learner.evaluate(x, y, 32, 16));
      List<float[]> values = new java.util.ArrayList<>();
      learner.stateDict().forEach(t -> values.add(Tensors.floats(t)));
      try (Network n = new Network(spec, Device.cpu(), "n", values)) {
        List<float[]> back = n.parameterValues();
        for (int i = 0; i < values.size(); i++) {
          System.out.println(spec.parameterNames().get(i) + " " + java.util.Arrays.equals(values.get(i), back.get(i)) + " " + values.get(i)[0] + " " + back.get(i)[0]);
        }
        System.out.println("copy " + n.evaluate(x, y, 32, 16));
      }
      System.out.println("learner again " + learner.evaluate(x, y, 32, 16));
    }
  }
}
