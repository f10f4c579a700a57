package io.streamtrain.model;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One DJL model built from a {@link ModelSpec}: the block, its parameters in state-dict order, the
 * reusable direct input buffers, and the forward/loss/evaluation code shared by {@link Learner} and
 * {@link InferenceModel}. Not thread-safe.
 */
final class Network implements AutoCloseable {
  final ModelSpec spec;
  final Model model;
  final NDManager manager;
  final List<String> names;

  /** The trainable parameters, in state-dict order (they come first in it). */
  final List<NDArray> parameters = new ArrayList<>();

  /** Every state-dict entry's array (null for num_batches_tracked, kept in batchesTracked). */
  private final List<NDArray> state = new ArrayList<>();

  private long batchesTracked;
  private final Block block;
  // The user's TorchScript module (torchscript: specs) in place of a block; its buffers live in it.
  private PtSymbolBlock module;
  private final ParameterStore store;
  private final BatchInputs inputs;

  Network(ModelSpec spec, Device device, String name) {
    this(spec, device, name, null);
  }

  /**
   * The network of {@code spec}; a TorchScript module is loaded holding {@code moduleState} (its
   * whole state dict, in {@link ModelSpec#entries()} order) or, when null, its own state.
   */
  Network(ModelSpec spec, Device device, String name, List<float[]> moduleState) {
    Torch.engine();
    this.spec = spec;
    this.names = spec.parameterNames();
    this.inputs = new BatchInputs(spec);
    model = Model.newInstance(name, device, Torch.ENGINE);
    manager = model.getNDManager();
    if (spec.kind() == ModelSpec.Kind.TORCHSCRIPT) {
      block = null;
      TorchScriptModule scripted = spec.torchScript();
      attachModule(
          moduleState == null
              ? scripted.archiveBytes()
              : scripted.archive().withValues(moduleState));
    } else {
      block = buildBlock(spec);
      if (moduleState != null) {
        setParameters(moduleState);
      }
    }
    store = new ParameterStore(manager, false);
  }

  private Block buildBlock(ModelSpec spec) {
    // PyTorch module prefix (linear_relu_stack.0, features.1, layer2.0.downsample.0 ...) → block.
    Map<String, Block> modules = new HashMap<>();
    Block block = NetworkBlocks.build(spec, modules);
    // Values are overwritten by our seeded PyTorch-default init or a state dict.
    block.setInitializer(Initializer.ZEROS, Parameter.Type.WEIGHT);
    block.setInitializer(Initializer.ZEROS, Parameter.Type.BIAS);
    model.setBlock(block);
    long[] inputShape = spec.inputShape();
    long[] batchShape = new long[inputShape.length + 1];
    batchShape[0] = 1;
    System.arraycopy(inputShape, 0, batchShape, 1, inputShape.length);
    block.initialize(manager, DataType.FLOAT32, new Shape(batchShape));
    for (ModelSpec.Entry entry : spec.entries()) {
      if (entry.role() == ModelSpec.Role.NUM_BATCHES_TRACKED) {
        state.add(null); // a counter of ours: DJL's BatchNorm does not keep one
        continue;
      }
      String key = entry.name();
      Block owner = modules.get(key.substring(0, key.lastIndexOf('.')));
      NDArray array = owner.getParameters().get(DJL_NAMES.get(entry.role())).getArray();
      state.add(array);
      if (entry.role().trainable()) {
        parameters.add(array);
      }
    }
    return block;
  }

  /**
   * Loads the TorchScript module from {@code archive} in place of the current one: its parameters
   * become {@link #parameters} (recording gradients), its buffers stay inside the module.
   */
  private void attachModule(byte[] archive) {
    PtSymbolBlock loaded = Torch.loadModule(manager, archive);
    Map<String, NDArray> byName = new HashMap<>();
    for (NDArray parameter : Torch.moduleParameters(loaded, manager)) {
      byName.put(parameter.getName(), parameter);
    }
    if (module != null) {
      parameters.forEach(NDArray::close);
      module.close();
    }
    module = loaded;
    parameters.clear();
    state.clear();
    for (ModelSpec.Entry entry : spec.entries()) {
      if (entry.role().trainable()) {
        NDArray parameter = byName.get(entry.name());
        if (parameter == null) {
          throw new IllegalStateException("the module has no parameter " + entry.name());
        }
        parameter.setRequiresGradient(true);
        parameters.add(parameter);
        state.add(parameter);
      } else {
        state.add(null);
      }
    }
  }

  private static final Map<ModelSpec.Role, String> DJL_NAMES =
      Map.of(
          ModelSpec.Role.WEIGHT, "weight",
          ModelSpec.Role.BIAS, "bias",
          ModelSpec.Role.BN_WEIGHT, "gamma",
          ModelSpec.Role.BN_BIAS, "beta",
          ModelSpec.Role.RUNNING_MEAN, "runningMean",
          ModelSpec.Role.RUNNING_VAR, "runningVar");

  /**
   * PyTorch's default init, from a Java RNG so it is the same on every device: Linear and Conv2d
   * weights kaiming_uniform(a=sqrt(5)) and biases both U(-1/sqrt(fan_in), 1/sqrt(fan_in)), drawn in
   * state-dict order; BatchNorm weight 1, bias 0, running mean 0, running variance 1.
   */
  void initialize(long seed) {
    if (module != null) {
      // The module's own initialisation is the user's: only Dropout's generator is seeded.
      Torch.engine().setRandomSeed(Math.toIntExact(Math.floorMod(seed, Integer.MAX_VALUE)));
      return;
    }
    SplittableRandom random = new SplittableRandom(seed);
    List<ModelSpec.Entry> entries = spec.entries();
    for (int i = 0; i < entries.size(); i++) {
      ModelSpec.Entry entry = entries.get(i);
      NDArray array = state.get(i);
      switch (entry.role()) {
        case WEIGHT, BIAS -> {
          double bound = 1.0 / Math.sqrt(entry.fanIn());
          float[] values = new float[Math.toIntExact(array.size())];
          for (int j = 0; j < values.length; j++) {
            values[j] = (float) (bound * (2 * random.nextDouble() - 1));
          }
          array.set(values);
        }
        case BN_WEIGHT, RUNNING_VAR -> array.set(filled(array, 1f));
        case BN_BIAS, RUNNING_MEAN -> array.set(filled(array, 0f));
        case NUM_BATCHES_TRACKED -> batchesTracked = 0;
        case MODULE_PARAMETER, MODULE_BUFFER -> throw new IllegalStateException(entry.name());
      }
    }
    if (spec.hasTrainingMode()) {
      // Dropout draws from libtorch's generator: seed it so a run repeats.
      Torch.engine().setRandomSeed(Math.toIntExact(Math.floorMod(seed, Integer.MAX_VALUE)));
    }
  }

  private static float[] filled(NDArray array, float value) {
    float[] values = new float[Math.toIntExact(array.size())];
    java.util.Arrays.fill(values, value);
    return values;
  }

  /** Sets the whole state dict (parameters and buffers), in {@link ModelSpec#entries()} order. */
  void setParameters(List<float[]> values) {
    if (module != null) {
      attachModule(spec.torchScript().archive().withValues(values));
      return;
    }
    for (int i = 0; i < state.size(); i++) {
      if (state.get(i) == null) {
        batchesTracked = (long) values.get(i)[0];
      } else {
        state.get(i).set(values.get(i));
      }
    }
  }

  /** The whole state dict (parameters and buffers), in {@link ModelSpec#entries()} order. */
  List<float[]> parameterValues() {
    if (module != null) {
      return moduleValues();
    }
    List<float[]> values = new ArrayList<>(state.size());
    for (NDArray array : state) {
      // num_batches_tracked travels as a float32 scalar: exact up to 2^24 training steps.
      values.add(array == null ? new float[] {batchesTracked} : array.toFloatArray());
    }
    return values;
  }

  /**
   * The whole state dict as {@link #parameterValues()} has it, read in place when published; null
   * for a TorchScript module, whose buffers only come whole out of its archive.
   */
  List<LiveTensor> liveValues(List<long[]> shapes) {
    if (module != null) {
      return null;
    }
    List<LiveTensor> values = new ArrayList<>(state.size());
    for (int i = 0; i < state.size(); i++) {
      NDArray array = state.get(i);
      values.add(
          array == null
              ? LiveTensor.of(
                  Tensors.float32(names.get(i), shapes.get(i), new float[] {batchesTracked}))
              : LiveTensor.ofArray(names.get(i), shapes.get(i), array));
    }
    return values;
  }

  /**
   * The module's state: parameters from their arrays; buffers, which libtorch does not hand out,
   * from the archive the module saves (only when it has any).
   */
  private List<float[]> moduleValues() {
    List<String> buffers = new ArrayList<>();
    for (int i = parameters.size(); i < names.size(); i++) {
      buffers.add(names.get(i));
    }
    List<float[]> values = new ArrayList<>(names.size());
    for (NDArray parameter : parameters) {
      values.add(parameter.toFloatArray());
    }
    if (!buffers.isEmpty()) {
      values.addAll(
          TorchScriptArchive.read(Torch.saveModule(module), "the trained module").values(buffers));
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
    return inputs.input(scratch, x, n);
  }

  /** An int64 (n, 1) label column in {@code scratch}, checked against the number of classes. */
  NDArray labels(NDManager scratch, int[] labels, int n) {
    return inputs.labels(scratch, labels, n);
  }

  NDArray logits(NDArray input, boolean training) {
    if (module != null) {
      return Torch.forward(module, new NDList(input), training).get(0);
    }
    if (training) {
      batchesTracked++;
    }
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
