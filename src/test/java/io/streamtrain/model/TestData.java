package io.streamtrain.model;

import ai.djl.Device;
import io.streamtrain.schema.NamedTensor;
import java.util.List;
import java.util.SplittableRandom;

/** Small generated batches and comparisons shared by the model tests. */
final class TestData {
  private TestData() {}

  static float[] randomInputs(long seed, int n, int features) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] x = new float[n * features];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextDouble();
    }
    return x;
  }

  static int[] randomLabels(long seed, int n, int classes) {
    SplittableRandom random = new SplittableRandom(seed);
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = random.nextInt(classes);
    }
    return labels;
  }

  static Learner learner(String spec, OptimizerConfig optimizer, long seed) {
    return Learner.create(ModelSpec.parse(spec), optimizer, seed, Device.cpu());
  }

  static byte[] bytes(List<NamedTensor> tensors) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (NamedTensor tensor : tensors) {
      out.writeBytes(tensor.getName().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      java.nio.ByteBuffer data = tensor.getData().duplicate();
      byte[] copy = new byte[data.remaining()];
      data.get(copy);
      out.writeBytes(copy);
    }
    return out.toByteArray();
  }
}
