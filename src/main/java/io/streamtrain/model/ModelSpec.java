package io.streamtrain.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
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

  private static final String MLP = "mlp:";
  private static final String CNN = "cnn:";
  private static final String RESNET18 = "resnet18:";
  private static final String TORCHSCRIPT = "torchscript:";
  private static final java.util.regex.Pattern SHA256 =
      java.util.regex.Pattern.compile("[0-9a-f]{64}");
  private static final String PARAMETER_PREFIX = "linear_relu_stack.";
  private static final String EXAMPLES =
      "e.g. mlp:784-512-512-10, cnn:1x28x28-c32-c64-f128-10, resnet18:3x32x32-10,"
          + " torchscript:model.pt, or a preset ("
          + "quickstart, cnn:small, resnet18-cifar)";

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
      int classes) {
    this(kind, widths, input, convolutions, hidden, classes, null);
  }

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
    this.entries = List.copyOf(buildEntries());
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
        Kind.MLP, widths, null, List.of(), List.of(), widths.get(widths.size() - 1));
  }

  /** Parses a spec (see the class comment) or a preset name. */
  public static ModelSpec parse(String text) {
    String trimmed = text == null ? "" : text.trim();
    String spec = PRESETS.getOrDefault(trimmed.toLowerCase(Locale.ROOT), trimmed);
    if (spec.startsWith(MLP)) {
      List<Integer> widths = new ArrayList<>();
      for (String part : spec.substring(MLP.length()).split("-", -1)) {
        widths.add(number(part, "layer width", text, "mlp:784-512-512-10"));
      }
      return mlp(widths);
    }
    if (spec.startsWith(CNN)) {
      return parseCnn(spec, text);
    }
    if (spec.startsWith(RESNET18)) {
      String[] parts = spec.substring(RESNET18.length()).split("-", -1);
      if (parts.length != 2) {
        throw new IllegalArgumentException(
            "model '" + text + "' should be resnet18:CxHxW-CLASSES, e.g. resnet18:3x32x32-10");
      }
      int[] input = inputShape(parts[0], text, "resnet18:3x32x32-10");
      int classes = number(parts[1], "number of classes", text, "resnet18:3x32x32-10");
      checkPooling(input, 3, text, "the three stride-2 stages");
      return new ModelSpec(Kind.RESNET18, List.of(), input, List.of(), List.of(), classes);
    }
    if (spec.startsWith(TORCHSCRIPT)) {
      return torchScript(spec.substring(TORCHSCRIPT.length()), text);
    }
    throw new IllegalArgumentException("unknown model '" + text + "'; " + EXAMPLES);
  }

  /** The TorchScript module spec: PATH or SHA256, then @CxHxW or the default 1x28x28. */
  private static ModelSpec torchScript(String rest, String text) {
    String example = "torchscript:model.pt@1x28x28";
    String source = rest;
    int[] input = {1, 28, 28};
    int at = rest.lastIndexOf('@');
    if (at >= 0) {
      source = rest.substring(0, at);
      input = inputShape(rest.substring(at + 1), text, example);
    }
    if (source.isEmpty()) {
      throw new IllegalArgumentException(
          "model '" + text + "' names no module file; e.g. " + example);
    }
    TorchScriptModule module;
    if (SHA256.matcher(source).matches()) {
      module =
          TorchScriptModules.find(source, input)
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "TorchScript module "
                              + rest
                              + " is not known here: give its file (--architecture"
                              + " torchscript:PATH) or reach the model.definitions topic that"
                              + " holds it"));
    } else {
      module = TorchScriptModules.fromFile(java.nio.file.Path.of(source), input);
    }
    return new ModelSpec(
        Kind.TORCHSCRIPT, List.of(), input, List.of(), List.of(), module.classes(), module);
  }

  /** The user's module of a {@code torchscript:} spec (null for the built-in families). */
  public TorchScriptModule torchScript() {
    return module;
  }

  private static ModelSpec parseCnn(String spec, String text) {
    String example = "cnn:1x28x28-c32-c64-f128-10";
    String[] parts = spec.substring(CNN.length()).split("-", -1);
    if (parts.length < 3) {
      throw new IllegalArgumentException(
          "model '"
              + text
              + "' should be cnn:CxHxW-cN...-fN...-CLASSES with at least one cN, e.g. "
              + example);
    }
    int[] input = inputShape(parts[0], text, example);
    List<Integer> convolutions = new ArrayList<>();
    List<Integer> hidden = new ArrayList<>();
    for (int i = 1; i < parts.length - 1; i++) {
      String part = parts[i];
      if (part.startsWith("c") && hidden.isEmpty()) {
        convolutions.add(number(part.substring(1), "channel count", text, example));
      } else if (part.startsWith("f")) {
        hidden.add(number(part.substring(1), "hidden width", text, example));
      } else {
        throw new IllegalArgumentException(
            "bad layer '"
                + part
                + "' in model '"
                + text
                + "': use cN for a conv block (before any fN) and fN for a hidden Linear, e.g. "
                + example);
      }
    }
    if (convolutions.isEmpty()) {
      throw new IllegalArgumentException(
          "model '" + text + "' has no conv block (cN); e.g. " + example);
    }
    int classes = number(parts[parts.length - 1], "number of classes", text, example);
    checkPooling(input, convolutions.size(), text, "the conv blocks' 2x2 max pooling");
    return new ModelSpec(Kind.CNN, List.of(), input, convolutions, hidden, classes);
  }

  private static void checkPooling(int[] input, int halvings, String text, String what) {
    int divisor = 1 << halvings;
    if (input[1] % divisor != 0 || input[2] % divisor != 0) {
      throw new IllegalArgumentException(
          "model '"
              + text
              + "': an input of "
              + input[1]
              + "x"
              + input[2]
              + " cannot be halved "
              + halvings
              + " times by "
              + what
              + "; use sides divisible by "
              + divisor);
    }
  }

  private static int[] inputShape(String part, String text, String example) {
    String[] dims = part.split("x", -1);
    if (dims.length != 3) {
      throw new IllegalArgumentException(
          "bad input shape '"
              + part
              + "' in model '"
              + text
              + "': expected CxHxW, e.g. "
              + example);
    }
    int[] shape = new int[3];
    for (int i = 0; i < 3; i++) {
      shape[i] = number(dims[i], "input dimension", text, example);
    }
    return shape;
  }

  private static int number(String part, String what, String text, String example) {
    try {
      int value = Integer.parseInt(part);
      if (value <= 0) {
        throw new IllegalArgumentException(
            what + " must be positive, got " + value + " in model '" + text + "'; e.g. " + example);
      }
      return value;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "bad " + what + " '" + part + "' in model '" + text + "'; e.g. " + example, e);
    }
  }

  /**
   * The architecture whose state dict has these keys and shapes, for state-dict files that do not
   * name it: an MLP (linear_relu_stack.*), a CNN (features.*, classifier.*; a square input assumed)
   * or a ResNet-18 (conv1, layer1..4, fc; a 32x32 input assumed, since a state dict does not say).
   * The caller checks every key and shape against the result.
   */
  static ModelSpec fromStateDict(Map<String, long[]> shapes) {
    long[] stem = shapes.get("conv1.weight");
    long[] fc = shapes.get("fc.weight");
    if (stem != null && stem.length == 4 && fc != null && fc.length == 2) {
      return parse(RESNET18 + stem[1] + "x32x32-" + fc[0]);
    }
    long[] first = shapes.get("features.0.weight");
    if (first != null && first.length == 4) {
      StringBuilder text = new StringBuilder();
      int blocks = 0;
      long channels = first[1];
      for (long[] conv = first;
          conv != null && conv.length == 4;
          conv = shapes.get("features." + (4 * blocks) + ".weight")) {
        text.append("-c").append(conv[0]);
        channels = conv[0];
        blocks++;
      }
      List<long[]> linears = new ArrayList<>();
      for (int index = 1; shapes.get("classifier." + index + ".weight") != null; index += 3) {
        linears.add(shapes.get("classifier." + index + ".weight"));
      }
      if (!linears.isEmpty() && linears.get(0).length == 2) {
        long side = Math.round(Math.sqrt((double) linears.get(0)[1] / channels)) << blocks;
        for (int i = 0; i < linears.size() - 1; i++) {
          text.append("-f").append(linears.get(i)[0]);
        }
        long classes = linears.get(linears.size() - 1)[0];
        return parse(CNN + first[1] + "x" + side + "x" + side + text + "-" + classes);
      }
    }
    int layers = 0;
    while (shapes.containsKey(PARAMETER_PREFIX + (2 * layers) + ".weight")) {
      layers++;
    }
    List<Integer> widths = new ArrayList<>();
    for (int layer = 0; layer < layers; layer++) {
      long[] weight = shapes.get(PARAMETER_PREFIX + (2 * layer) + ".weight");
      if (weight.length != 2 || weight[0] > Integer.MAX_VALUE || weight[1] > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(
            "cannot tell the architecture: "
                + PARAMETER_PREFIX
                + (2 * layer)
                + ".weight has shape "
                + Arrays.toString(weight)
                + ", a Linear weight is [out, in]");
      }
      if (layer == 0) {
        widths.add((int) weight[1]);
      }
      widths.add((int) weight[0]);
    }
    if (layers == 0 || widths.contains(0)) {
      throw new IllegalArgumentException(
          "cannot tell the architecture from keys such as "
              + shapes.keySet().stream().limit(3).toList()
              + ": only an MLP's (linear_relu_stack.0.weight ...) is recognised; name the"
              + " architecture ("
              + EXAMPLES
              + ")");
    }
    return mlp(widths);
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
    return PARAMETER_PREFIX + (2 * layer) + ".weight";
  }

  /** PyTorch key of MLP layer {@code layer}'s bias: linear_relu_stack.{2*layer}.bias. */
  public String biasName(int layer) {
    return PARAMETER_PREFIX + (2 * layer) + ".bias";
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

  private List<Entry> buildEntries() {
    List<Entry> trainable = new ArrayList<>();
    List<Entry> buffers = new ArrayList<>();
    switch (kind) {
      case MLP -> {
        for (int layer = 0; layer < numLinearLayers(); layer++) {
          linear(
              trainable, PARAMETER_PREFIX + (2 * layer), widths.get(layer), widths.get(layer + 1));
        }
      }
      case CNN -> {
        int channels = input[0];
        for (int block = 0; block < convolutions.size(); block++) {
          int out = convolutions.get(block);
          conv(trainable, "features." + (4 * block), channels, out, 3, true);
          batchNorm(trainable, buffers, "features." + (4 * block + 1), out);
          channels = out;
        }
        int divisor = 1 << convolutions.size();
        long features = (long) channels * (input[1] / divisor) * (input[2] / divisor);
        int index = 1; // classifier.0 is the Flatten
        for (int width : hidden) {
          linear(trainable, "classifier." + index, features, width);
          features = width;
          index += 3; // Linear, ReLU, Dropout
        }
        linear(trainable, "classifier." + index, features, classes);
      }
      case RESNET18 -> {
        conv(trainable, "conv1", input[0], 64, 3, false);
        batchNorm(trainable, buffers, "bn1", 64);
        int channels = 64;
        int[] widthsPerStage = {64, 128, 256, 512};
        for (int stage = 0; stage < 4; stage++) {
          int out = widthsPerStage[stage];
          for (int block = 0; block < 2; block++) {
            String prefix = "layer" + (stage + 1) + "." + block;
            conv(trainable, prefix + ".conv1", channels, out, 3, false);
            batchNorm(trainable, buffers, prefix + ".bn1", out);
            conv(trainable, prefix + ".conv2", out, out, 3, false);
            batchNorm(trainable, buffers, prefix + ".bn2", out);
            if (block == 0 && stage > 0) {
              conv(trainable, prefix + ".downsample.0", channels, out, 1, false);
              batchNorm(trainable, buffers, prefix + ".downsample.1", out);
            }
            channels = out;
          }
        }
        linear(trainable, "fc", channels, classes);
      }
      case TORCHSCRIPT -> {
        for (TorchScriptArchive.Slot slot : module.slots()) {
          (slot.parameter() ? trainable : buffers)
              .add(
                  new Entry(
                      slot.name(),
                      slot.shape(),
                      slot.parameter() ? Role.MODULE_PARAMETER : Role.MODULE_BUFFER,
                      0));
        }
      }
      default -> throw new IllegalStateException(kind.toString());
    }
    List<Entry> all = new ArrayList<>(trainable);
    all.addAll(buffers);
    return all;
  }

  private static void linear(List<Entry> trainable, String prefix, long in, long out) {
    trainable.add(new Entry(prefix + ".weight", new long[] {out, in}, Role.WEIGHT, in));
    trainable.add(new Entry(prefix + ".bias", new long[] {out}, Role.BIAS, in));
  }

  private static void conv(
      List<Entry> trainable, String prefix, long in, long out, int kernel, boolean bias) {
    long fanIn = in * kernel * kernel;
    trainable.add(
        new Entry(prefix + ".weight", new long[] {out, in, kernel, kernel}, Role.WEIGHT, fanIn));
    if (bias) {
      trainable.add(new Entry(prefix + ".bias", new long[] {out}, Role.BIAS, fanIn));
    }
  }

  private static void batchNorm(
      List<Entry> trainable, List<Entry> buffers, String prefix, long channels) {
    trainable.add(new Entry(prefix + ".weight", new long[] {channels}, Role.BN_WEIGHT, 0));
    trainable.add(new Entry(prefix + ".bias", new long[] {channels}, Role.BN_BIAS, 0));
    buffers.add(new Entry(prefix + ".running_mean", new long[] {channels}, Role.RUNNING_MEAN, 0));
    buffers.add(new Entry(prefix + ".running_var", new long[] {channels}, Role.RUNNING_VAR, 0));
    buffers.add(
        new Entry(prefix + ".num_batches_tracked", new long[] {}, Role.NUM_BATCHES_TRACKED, 0));
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
      case MLP -> MLP + widths.stream().map(String::valueOf).collect(Collectors.joining("-"));
      case CNN ->
          CNN
              + input[0]
              + "x"
              + input[1]
              + "x"
              + input[2]
              + convolutions.stream().map(c -> "-c" + c).collect(Collectors.joining())
              + hidden.stream().map(f -> "-f" + f).collect(Collectors.joining())
              + "-"
              + classes;
      case RESNET18 -> RESNET18 + input[0] + "x" + input[1] + "x" + input[2] + "-" + classes;
      case TORCHSCRIPT ->
          TORCHSCRIPT + module.sha256() + "@" + input[0] + "x" + input[1] + "x" + input[2];
    };
  }
}
