package io.streamtrain.model;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One DJL model built from a {@link ModelSpec}: the block, its parameters in state-dict order, the
 * reusable direct input buffers, and the forward/loss/evaluation code shared by {@link Learner}
 * and {@link InferenceModel}. Not thread-safe.
 */
final class Network implements AutoCloseable {
  final ModelSpec spec;
  final Model model;
  final NDManager manager;
  final List<String> names;
  final List<NDArray> parameters = new ArrayList<>();
  private final SequentialBlock block;
  private final ParameterStore store;
  // Reused every call so a step allocates no direct memory of its own; DJL copies from it.
  private ByteBuffer inputBuffer = ByteBuffer.allocateDirect(0);
  private ByteBuffer labelBuffer = ByteBuffer.allocateDirect(0);

  Network(ModelSpec spec, Device device, String name) {
    Torch.engine();
    this.spec = spec;
    this.names = spec.parameterNames();
    model = Model.newInstance(name, device, Torch.ENGINE);
    block = new SequentialBlock();
    block.add(Blocks.batchFlattenBlock(spec.inputFeatures()));
    List<Linear> linears = new ArrayList<>();
    for (int layer = 0; layer < spec.numLinearLayers(); layer++) {
      if (layer > 0) {
        block.add(Activation.reluBlock());
      }
      Linear linear = Linear.builder().setUnits(spec.widths().get(layer + 1)).build();
      linears.add(linear);
      block.add(linear);
    }
    // Values are overwritten by our seeded PyTorch-default init or a state dict.
    block.setInitializer(Initializer.ZEROS, Parameter.Type.WEIGHT);
    block.setInitializer(Initializer.ZEROS, Parameter.Type.BIAS);
    model.setBlock(block);
    manager = model.getNDManager();
    long[] inputShape = spec.inputShape();
    long[] batchShape = new long[inputShape.length + 1];
    batchShape[0] = 1;
    System.arraycopy(inputShape, 0, batchShape, 1, inputShape.length);
    block.initialize(manager, DataType.FLOAT32, new Shape(batchShape));
    for (Linear linear : linears) {
      parameters.add(linear.getParameters().get("weight").getArray());
      parameters.add(linear.getParameters().get("bias").getArray());
    }
    store = new ParameterStore(manager, false);
  }

  /**
   * PyTorch's nn.Linear default init, from a Java RNG so it is the same on every device: weights
   * kaiming_uniform(a=sqrt(5)) and biases both U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
   */
  void initialize(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0; i < parameters.size(); i++) {
      int layer = i / 2;
      double bound = 1.0 / Math.sqrt(spec.widths().get(layer));
      float[] values = new float[Math.toIntExact(parameters.get(i).size())];
      for (int j = 0; j < values.length; j++) {
        values[j] = (float) (bound * (2 * random.nextDouble() - 1));
      }
      parameters.get(i).set(values);
    }
  }

  void setParameters(List<float[]> values) {
    for (int i = 0; i < parameters.size(); i++) {
      parameters.get(i).set(values.get(i));
    }
  }

  List<float[]> parameterValues() {
    List<float[]> values = new ArrayList<>(parameters.size());
    for (NDArray parameter : parameters) {
      values.add(parameter.toFloatArray());
    }
    return values;
  }

  boolean parametersFinite() {
    Torch.noGradOnThisThread();
    try (NDManager scratch = manager.newSubManager()) {
      for (NDArray parameter : parameters) {
        // Results of ops on a parameter land in the model's manager: move each to scratch.
        NDArray nan = parameter.isNaN();
        nan.attach(scratch);
        NDArray infinite = parameter.isInfinite();
        infinite.attach(scratch);
        if (nan.logicalOr(infinite).any().getBoolean()) {
          return false;
        }
      }
      return true;
    }
  }

  /** A (n, C, H, W) float input in {@code scratch}, copied from {@code x}. */
  NDArray input(NDManager scratch, float[] x, int n) {
    int features = spec.inputFeatures();
    if (n <= 0 || x == null || x.length < (long) n * features) {
      throw new IllegalArgumentException(
          "batch of "
              + n
              + " needs "
              + (long) n * features
              + " floats ("
              + features
              + " per example), got "
              + (x == null ? 0 : x.length));
    }
    int bytes = n * features * Float.BYTES;
    if (inputBuffer.capacity() < bytes) {
      inputBuffer = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }
    ByteBuffer view = inputBuffer.duplicate().order(ByteOrder.nativeOrder());
    view.clear().limit(bytes);
    view.asFloatBuffer().put(x, 0, n * features);
    long[] shape = spec.inputShape();
    long[] batchShape = new long[shape.length + 1];
    batchShape[0] = n;
    System.arraycopy(shape, 0, batchShape, 1, shape.length);
    return scratch.create(view, new Shape(batchShape), DataType.FLOAT32);
  }

  /** An int64 (n, 1) label column in {@code scratch}, checked against the number of classes. */
  NDArray labels(NDManager scratch, int[] labels, int n) {
    if (labels == null || labels.length < n) {
      throw new IllegalArgumentException(
          "batch of " + n + " needs " + n + " labels, got " + (labels == null ? 0 : labels.length));
    }
    int bytes = n * Long.BYTES;
    if (labelBuffer.capacity() < bytes) {
      labelBuffer = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }
    ByteBuffer view = labelBuffer.duplicate().order(ByteOrder.nativeOrder());
    view.clear().limit(bytes);
    for (int i = 0; i < n; i++) {
      int label = labels[i];
      if (label < 0 || label >= spec.numClasses()) {
        throw new IllegalArgumentException(
            "label " + label + " is outside 0.." + (spec.numClasses() - 1) + " for " + spec);
      }
      view.putLong(i * Long.BYTES, label);
    }
    return scratch.create(view, new Shape(n, 1), DataType.INT64);
  }

  NDArray logits(NDArray input, boolean training) {
    return block.forward(store, new NDList(input), training).singletonOrThrow();
  }

  /** Mean softmax cross-entropy over the batch, as torch.nn.CrossEntropyLoss(). */
  static NDArray meanCrossEntropy(NDArray logits, NDArray labelColumn) {
    return logits.logSoftmax(1).gather(labelColumn, 1).mean().neg();
  }

  /** Number of rows whose first maximal logit is the label, as (pred.argmax(1) == y).sum(). */
  static int countCorrect(float[] logits, int[] labels, int n, int classes) {
    int correct = 0;
    for (int i = 0; i < n; i++) {
      int best = 0;
      float bestValue = logits[i * classes];
      for (int c = 1; c < classes; c++) {
        float value = logits[i * classes + c];
        if (value > bestValue) {
          bestValue = value;
          best = c;
        }
      }
      if (best == labels[i]) {
        correct++;
      }
    }
    return correct;
  }

  float[][] probabilities(float[] x, int n) {
    Torch.noGradOnThisThread();
    try (NDManager scratch = manager.newSubManager()) {
      float[] flat = logits(input(scratch, x, n), false).softmax(1).toFloatArray();
      int classes = spec.numClasses();
      float[][] rows = new float[n][classes];
      for (int i = 0; i < n; i++) {
        System.arraycopy(flat, i * classes, rows[i], 0, classes);
      }
      return rows;
    }
  }

  /** The quickstart's test(): sum of per-batch mean losses / batches, and correct / size. */
  Evaluation evaluate(float[] x, int[] labels, int n, int batchSize) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("evaluation batch size must be > 0, got " + batchSize);
    }
    if (n <= 0) {
      throw new IllegalArgumentException("nothing to evaluate: the test set is empty");
    }
    Torch.noGradOnThisThread();
    int features = spec.inputFeatures();
    int classes = spec.numClasses();
    double lossSum = 0;
    long correct = 0;
    int batches = 0;
    float[] batchX = new float[Math.min(batchSize, n) * features];
    int[] batchLabels = new int[Math.min(batchSize, n)];
    for (int start = 0; start < n; start += batchSize) {
      int size = Math.min(batchSize, n - start);
      System.arraycopy(x, start * features, batchX, 0, size * features);
      System.arraycopy(labels, start, batchLabels, 0, size);
      try (NDManager scratch = manager.newSubManager()) {
        NDArray logits = logits(input(scratch, batchX, size), false);
        lossSum += meanCrossEntropy(logits, labels(scratch, batchLabels, size)).getFloat();
        correct += countCorrect(logits.toFloatArray(), batchLabels, size, classes);
      }
      batches++;
    }
    return new Evaluation((double) correct / n, lossSum / batches, correct, n, batches);
  }

  @Override
  public void close() {
    model.close();
  }
}
