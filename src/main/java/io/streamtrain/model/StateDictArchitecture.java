package io.streamtrain.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Recognises the architecture of a state dict from its PyTorch keys and shapes, for state-dict
 * files that do not name it.
 */
final class StateDictArchitecture {
  private StateDictArchitecture() {}

  /**
   * The architecture whose state dict has these keys and shapes, for state-dict files that do not
   * name it: an MLP (linear_relu_stack.*), a CNN (features.*, classifier.*; a square input assumed)
   * or a ResNet-18 (conv1, layer1..4, fc; a 32x32 input assumed, since a state dict does not say).
   * The caller checks every key and shape against the result.
   */
  static ModelSpec of(Map<String, long[]> shapes) {
    long[] stem = shapes.get("conv1.weight");
    long[] fc = shapes.get("fc.weight");
    if (stem != null && stem.length == 4 && fc != null && fc.length == 2) {
      return SpecGrammar.parse(SpecGrammar.RESNET18 + stem[1] + "x32x32-" + fc[0]);
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
        return SpecGrammar.parse(
            SpecGrammar.CNN + first[1] + "x" + side + "x" + side + text + "-" + classes);
      }
    }
    int layers = 0;
    while (shapes.containsKey(PyTorchKeys.MLP_PREFIX + (2 * layers) + ".weight")) {
      layers++;
    }
    List<Integer> widths = new ArrayList<>();
    for (int layer = 0; layer < layers; layer++) {
      long[] weight = shapes.get(PyTorchKeys.MLP_PREFIX + (2 * layer) + ".weight");
      if (weight.length != 2 || weight[0] > Integer.MAX_VALUE || weight[1] > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(
            "cannot tell the architecture: "
                + PyTorchKeys.MLP_PREFIX
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
              + SpecGrammar.EXAMPLES
              + ")");
    }
    return ModelSpec.mlp(widths);
  }
}
