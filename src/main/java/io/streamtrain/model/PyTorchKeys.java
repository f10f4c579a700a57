package io.streamtrain.model;

import io.streamtrain.model.ModelSpec.Entry;
import io.streamtrain.model.ModelSpec.Role;
import java.util.ArrayList;
import java.util.List;

/**
 * The PyTorch key layout of each architecture family: the state dict's keys, shapes, roles and
 * fan-ins, named as PyTorch's modules name them ({@code linear_relu_stack.0.weight}, {@code
 * features.1.running_mean}, {@code layer2.0.downsample.0.weight}, ...).
 */
final class PyTorchKeys {
  /** The MLP's module prefix, the quickstart's {@code nn.Sequential} name. */
  static final String MLP_PREFIX = "linear_relu_stack.";

  private PyTorchKeys() {}

  /** The entries of {@code spec}: trainable parameters in PyTorch's order, then the buffers. */
  static List<Entry> entries(ModelSpec spec) {
    int[] input = spec.input();
    int classes = spec.numClasses();
    List<Integer> widths = spec.widths();
    List<Entry> trainable = new ArrayList<>();
    List<Entry> buffers = new ArrayList<>();
    switch (spec.kind()) {
      case MLP -> {
        for (int layer = 0; layer < spec.numLinearLayers(); layer++) {
          linear(trainable, MLP_PREFIX + (2 * layer), widths.get(layer), widths.get(layer + 1));
        }
      }
      case CNN -> {
        int channels = input[0];
        for (int block = 0; block < spec.convolutions().size(); block++) {
          int out = spec.convolutions().get(block);
          conv(trainable, "features." + (4 * block), channels, out, 3, true);
          batchNorm(trainable, buffers, "features." + (4 * block + 1), out);
          channels = out;
        }
        int divisor = 1 << spec.convolutions().size();
        long features = (long) channels * (input[1] / divisor) * (input[2] / divisor);
        int index = 1; // classifier.0 is the Flatten
        for (int width : spec.hidden()) {
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
        for (TorchScriptArchive.Slot slot : spec.torchScript().slots()) {
          (slot.parameter() ? trainable : buffers)
              .add(
                  new Entry(
                      slot.name(),
                      slot.shape(),
                      slot.parameter() ? Role.MODULE_PARAMETER : Role.MODULE_BUFFER,
                      0));
        }
      }
      default -> throw new IllegalStateException(spec.kind().toString());
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
}
