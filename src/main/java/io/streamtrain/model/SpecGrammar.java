package io.streamtrain.model;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The spec grammar: a spec string or a preset name read into a {@link ModelSpec}, with messages
 * that say how to write it right.
 */
final class SpecGrammar {
  static final String MLP = "mlp:";
  static final String CNN = "cnn:";
  static final String RESNET18 = "resnet18:";
  static final String TORCHSCRIPT = "torchscript:";
  static final String EXAMPLES =
      "e.g. mlp:784-512-512-10, cnn:1x28x28-c32-c64-f128-10, resnet18:3x32x32-10,"
          + " torchscript:model.pt, or a preset ("
          + "quickstart, cnn:small, resnet18-cifar)";
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  private SpecGrammar() {}

  /** Parses a spec (see {@link ModelSpec}) or a preset name. */
  static ModelSpec parse(String text) {
    String trimmed = text == null ? "" : text.trim();
    String spec = ModelSpec.PRESETS.getOrDefault(trimmed.toLowerCase(Locale.ROOT), trimmed);
    if (spec.startsWith(MLP)) {
      List<Integer> widths = new ArrayList<>();
      for (String part : spec.substring(MLP.length()).split("-", -1)) {
        widths.add(number(part, "layer width", text, "mlp:784-512-512-10"));
      }
      return ModelSpec.mlp(widths);
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
      return ModelSpec.resnet18(input, classes);
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
      module = TorchScriptModules.fromFile(Path.of(source), input);
    }
    return ModelSpec.torchScript(input, module);
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
    return ModelSpec.cnn(input, convolutions, hidden, classes);
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
}
