package io.streamtrain.model;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The architecture of a model, written as a spec string that is also the snapshot's architecture,
 * so a snapshot only loads into the model it came from:
 *
 * <ul>
 *   <li>{@code mlp:784-512-512-10}: the quickstart's multilayer perceptron, Flatten → (Linear →
 *       ReLU)* → Linear (input features, hidden widths, classes); keys {@code
 *       linear_relu_stack.{0,2,..}.{weight,bias}}.
 *   <li>{@code cnn:1x28x28-c32-c64-f128-10} (preset {@code cnn:small}): input C×H×W, then per
 *       {@code cN} a block Conv2d(3×3, padding 1, N channels) → BatchNorm2d → ReLU → MaxPool2d(2)
 *       ({@code features.*}), then Flatten and per {@code fN} Linear(N) → ReLU → Dropout(0.5), then
 *       Linear(classes) ({@code classifier.*}).
 *   <li>{@code resnet18:3x32x32-10} (preset {@code resnet18-cifar}): ResNet-18 with the CIFAR stem
 *       (3×3 conv, stride 1, no max pooling), torchvision's key names ({@code conv1}, {@code bn1},
 *       {@code layer1.0.conv1}, {@code layer2.0.downsample.0}, ..., {@code fc}).
 *   <li>{@code torchscript:PATH} or {@code torchscript:PATH@CxHxW} (default input 1x28x28): the
 *       user's own TorchScript module, its parameters and buffers under their own names; written
 *       {@code torchscript:SHA256@CxHxW} once read, which names the module by its archive's hash
 *       (see {@link TorchScriptModules}).
 * </ul>
 *
 * <p>The state dict lists the trainable parameters first, in PyTorch's order, then the BatchNorm
 * buffers ({@code running_mean}, {@code running_var}, {@code num_batches_tracked}) in PyTorch's
 * order; PyTorch's load_state_dict matches by name, so the order does not matter to it.
 */
public final class ModelSpec {
  /** Preset names and what they stand for. */
  public static final Map<String, String> PRESETS =
      Map.of(
          "quickstart", "mlp:784-512-512-10",
          "cnn:small", "cnn:1x28x28-c32-c64-f128-10",
          "resnet18-cifar", "resnet18:3x32x32-10");

  /**
   * The PyTorch quickstart's model: Linear 784→512, ReLU, Linear 512→512, ReLU, Linear 512→10.
   * Declared after PRESETS, which parse reads.
   */
  public static final ModelSpec QUICKSTART = parse("mlp:784-512-512-10");

  /** The kinds of architecture. */
  public enum Kind {
    MLP,
    CNN,
    RESNET18,
    TORCHSCRIPT
  }

  /** What a state-dict entry is, which says how it is initialised and whether it is trained. */
  enum Role {
    WEIGHT,
    BIAS,
    BN_WEIGHT,
    BN_BIAS,
    RUNNING_MEAN,
    RUNNING_VAR,
    NUM_BATCHES_TRACKED,
    /** A TorchScript module's parameter: trained, initialised by the module itself. */
    MODULE_PARAMETER,
    /** A TorchScript module's buffer, kept as the module keeps it. */
    MODULE_BUFFER;

    boolean trainable() {
      return ordinal() <= BN_BIAS.ordinal() || this == MODULE_PARAMETER;
    }
  }

  /** One state-dict entry: PyTorch key, shape, role and the fan-in of its layer (for init). */
  record Entry(String name, long[] shape, Role role, long fanIn) {}

  private final Kind kind;
  private final List<Integer> widths;
  private final int[] input;
  private final List<Integer> convolutions;
  private final List<Integer> hidden;
  private final int classes;
  private final TorchScriptModule module;
  private final List<Entry> entries;

  private ModelSpec(
      Kind kind,
      List<Integer> widths,
      int[] input,
      List<Integer> convolutions,
      List<Integer> hidden,
      int classes,
      TorchScriptModule module) {
    this.module = module;
    this.kind = kind;
    this.widths = List.copyOf(widths);
    this.input = input;
    this.convolutions = List.copyOf(convolutions);
    this.hidden = List.copyOf(hidden);
    this.classes = classes;
    this.entries = List.copyOf(PyTorchKeys.entries(this));
  }

  /** The MLP with these layer widths, input features first and classes last. */
  public static ModelSpec mlp(List<Integer> widths) {
    if (widths == null || widths.size() < 2) {
      throw new IllegalArgumentException(
          "a model needs at least an input and an output width, e.g. mlp:784-512-512-10");
    }
    for (int width : widths) {
      if (width <= 0) {
        throw new IllegalArgumentException(
            "layer widths must be positive, got " + widths + "; e.g. mlp:784-512-512-10");
      }
    }
    return new ModelSpec(
        Kind.MLP, widths, null, List.of(), List.of(), widths.get(widths.size() - 1), null);
  }

  static ModelSpec cnn(int[] input, List<Integer> convolutions, List<Integer> hidden, int classes) {
    return new ModelSpec(Kind.CNN, List.of(), input, convolutions, hidden, classes, null);
  }

  static ModelSpec resnet18(int[] input, int classes) {
    return new ModelSpec(Kind.RESNET18, List.of(), input, List.of(), List.of(), classes, null);
  }

  static ModelSpec torchScript(int[] input, TorchScriptModule module) {
    return new ModelSpec(
        Kind.TORCHSCRIPT, List.of(), input, List.of(), List.of(), module.classes(), module);
  }

  /** Parses a spec (see the class comment) or a preset name. */
  public static ModelSpec parse(String text) {
    return SpecGrammar.parse(text);
  }

  /** The user's module of a {@code torchscript:} spec (null for the built-in families). */
  public TorchScriptModule torchScript() {
    return module;
  }

  public Kind kind() {
    return kind;
  }

  /** MLP layer widths, input features first, classes last (empty for other kinds). */
  public List<Integer> widths() {
    return widths;
  }

  /** Number of input features (784 for a 1x28x28 image). */
  public int inputFeatures() {
    return kind == Kind.MLP ? widths.get(0) : input[0] * input[1] * input[2];
  }

  /** Number of output classes (logits). */
  public int numClasses() {
    return classes;
  }

  /** Number of Linear layers of an MLP. */
  public int numLinearLayers() {
    return widths.size() - 1;
  }

  /** Per-example input shape (C, H, W): an MLP of 784 features takes 1x28x28, else a vector. */
  public long[] inputShape() {
    if (kind != Kind.MLP) {
      return new long[] {input[0], input[1], input[2]};
    }
    return inputFeatures() == 28 * 28 ? new long[] {1, 28, 28} : new long[] {inputFeatures()};
  }

  /** True when the model has BatchNorm or Dropout, which behave differently in training. */
  public boolean hasTrainingMode() {
    return kind != Kind.MLP;
  }

  /** Input C, H, W of the kinds other than MLP (null for an MLP). */
  int[] input() {
    return input;
  }

  /** Convolution channel counts of a CNN's conv blocks. */
  List<Integer> convolutions() {
    return convolutions;
  }

  /** Hidden Linear widths of a CNN's classifier. */
  List<Integer> hidden() {
    return hidden;
  }

  /** Shape (out, in) of MLP Linear layer {@code layer}'s weight, as in PyTorch. */
  public long[] weightShape(int layer) {
    return new long[] {widths.get(layer + 1), widths.get(layer)};
  }

  /** Shape (out) of MLP Linear layer {@code layer}'s bias. */
  public long[] biasShape(int layer) {
    return new long[] {widths.get(layer + 1)};
  }

  /** PyTorch key of MLP layer {@code layer}'s weight: linear_relu_stack.{2*layer}.weight. */
  public String weightName(int layer) {
    return PyTorchKeys.MLP_PREFIX + (2 * layer) + ".weight";
  }

  /** PyTorch key of MLP layer {@code layer}'s bias: linear_relu_stack.{2*layer}.bias. */
  public String biasName(int layer) {
    return PyTorchKeys.MLP_PREFIX + (2 * layer) + ".bias";
  }

  /** The state dict's entries: trainable parameters, then buffers (see the class comment). */
  List<Entry> entries() {
    return entries;
  }

  /** State-dict keys: trainable parameters in PyTorch's order, then the buffers. */
  public List<String> parameterNames() {
    return entries.stream().map(Entry::name).toList();
  }

  /** Shapes matching {@link #parameterNames()}. */
  public List<long[]> parameterShapes() {
    return entries.stream().map(e -> e.shape().clone()).toList();
  }

  /** Number of trainable entries; they come first in {@link #parameterNames()}. */
  public int trainableCount() {
    return (int) entries.stream().filter(e -> e.role().trainable()).count();
  }

  /** Total number of trainable scalars. */
  public long parameterCount() {
    return entries.stream()
        .filter(e -> e.role().trainable())
        .mapToLong(e -> Tensors.elements(e.shape()))
        .sum();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ModelSpec spec && spec.toString().equals(toString());
  }

  @Override
  public int hashCode() {
    return toString().hashCode();
  }

  @Override
  public String toString() {
    return switch (kind) {
      case MLP ->
          SpecGrammar.MLP + widths.stream().map(String::valueOf).collect(Collectors.joining("-"));
      case CNN ->
          SpecGrammar.CNN
              + input[0]
              + "x"
              + input[1]
              + "x"
              + input[2]
              + convolutions.stream().map(c -> "-c" + c).collect(Collectors.joining())
              + hidden.stream().map(f -> "-f" + f).collect(Collectors.joining())
              + "-"
              + classes;
      case RESNET18 ->
          SpecGrammar.RESNET18 + input[0] + "x" + input[1] + "x" + input[2] + "-" + classes;
      case TORCHSCRIPT ->
          SpecGrammar.TORCHSCRIPT
              + module.sha256()
              + "@"
              + input[0]
              + "x"
              + input[1]
              + "x"
              + input[2];
    };
  }
}
