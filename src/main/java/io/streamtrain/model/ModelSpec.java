package io.streamtrain.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The architecture of a model: a multilayer perceptron Flatten → (Linear → ReLU)* → Linear, written
 * {@code mlp:784-512-512-10} (input features, hidden widths, classes). It is also the snapshot's
 * architecture string, so a snapshot only loads into the model it came from.
 *
 * @param widths layer widths, input features first, number of classes last (at least two)
 */
public record ModelSpec(List<Integer> widths) {
  /** The PyTorch quickstart's model: Linear 784→512, ReLU, Linear 512→512, ReLU, Linear 512→10. */
  public static final ModelSpec QUICKSTART = parse("mlp:784-512-512-10");

  private static final String PREFIX = "mlp:";
  private static final String PARAMETER_PREFIX = "linear_relu_stack.";

  public ModelSpec {
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
    widths = List.copyOf(widths);
  }

  /** Parses {@code mlp:IN-H1-...-CLASSES}, e.g. {@code mlp:784-512-512-10}. */
  public static ModelSpec parse(String text) {
    String trimmed = text == null ? "" : text.trim();
    if (!trimmed.startsWith(PREFIX)) {
      throw new IllegalArgumentException(
          "unknown model '" + text + "'; expected mlp:IN-H1-...-CLASSES, e.g. mlp:784-512-512-10");
    }
    List<Integer> widths = new ArrayList<>();
    for (String part : trimmed.substring(PREFIX.length()).split("-", -1)) {
      try {
        widths.add(Integer.parseInt(part));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "bad layer width '" + part + "' in model '" + text + "'; e.g. mlp:784-512-512-10", e);
      }
    }
    return new ModelSpec(widths);
  }

  /**
   * The MLP whose state dict has exactly these keys and shapes (PyTorch's {@code
   * linear_relu_stack.{0,2,...}.{weight,bias}}), for state-dict files that do not name their
   * architecture.
   */
  static ModelSpec fromStateDict(java.util.Map<String, long[]> shapes) {
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
              + ": expected the quickstart's linear_relu_stack.0.weight ...; name the"
              + " architecture (e.g. mlp:784-512-512-10)");
    }
    return new ModelSpec(widths);
  }

  /** Number of input features (784 for a 1x28x28 image). */
  public int inputFeatures() {
    return widths.get(0);
  }

  /** Number of output classes (logits). */
  public int numClasses() {
    return widths.get(widths.size() - 1);
  }

  /** Number of Linear layers. */
  public int numLinearLayers() {
    return widths.size() - 1;
  }

  /** Per-example input shape (C, H, W): 1x28x28 for 784 features, else a flat vector. */
  public long[] inputShape() {
    return inputFeatures() == 28 * 28 ? new long[] {1, 28, 28} : new long[] {inputFeatures()};
  }

  /** Shape (out, in) of Linear layer {@code layer}'s weight, as in PyTorch. */
  public long[] weightShape(int layer) {
    return new long[] {widths.get(layer + 1), widths.get(layer)};
  }

  /** Shape (out) of Linear layer {@code layer}'s bias. */
  public long[] biasShape(int layer) {
    return new long[] {widths.get(layer + 1)};
  }

  /** PyTorch state-dict key of layer {@code layer}'s weight: linear_relu_stack.{2*layer}.weight. */
  public String weightName(int layer) {
    return PARAMETER_PREFIX + (2 * layer) + ".weight";
  }

  /** PyTorch state-dict key of layer {@code layer}'s bias: linear_relu_stack.{2*layer}.bias. */
  public String biasName(int layer) {
    return PARAMETER_PREFIX + (2 * layer) + ".bias";
  }

  /** State-dict keys in PyTorch's order: weight then bias of each Linear layer. */
  public List<String> parameterNames() {
    List<String> names = new ArrayList<>();
    for (int layer = 0; layer < numLinearLayers(); layer++) {
      names.add(weightName(layer));
      names.add(biasName(layer));
    }
    return names;
  }

  /** Shapes matching {@link #parameterNames()}. */
  public List<long[]> parameterShapes() {
    List<long[]> shapes = new ArrayList<>();
    for (int layer = 0; layer < numLinearLayers(); layer++) {
      shapes.add(weightShape(layer));
      shapes.add(biasShape(layer));
    }
    return shapes;
  }

  /** Total number of trainable scalars. */
  public long parameterCount() {
    return parameterShapes().stream()
        .mapToLong(s -> Arrays.stream(s).reduce(1, (a, b) -> a * b))
        .sum();
  }

  @Override
  public String toString() {
    return PREFIX + widths.stream().map(String::valueOf).collect(Collectors.joining("-"));
  }
}
