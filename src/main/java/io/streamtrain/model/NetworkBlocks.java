package io.streamtrain.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
import java.util.List;
import java.util.Map;

/**
 * The DJL blocks of the built-in architecture families, each module recorded under its PyTorch
 * prefix ({@code linear_relu_stack.0}, {@code features.1}, {@code layer2.0.downsample.0}, ...) so
 * that {@link Network} finds every state-dict entry's array.
 */
final class NetworkBlocks {
  private NetworkBlocks() {}

  /** The block of {@code spec}, its modules put in {@code modules} by PyTorch prefix. */
  static Block build(ModelSpec spec, Map<String, Block> modules) {
    return switch (spec.kind()) {
      case MLP -> mlp(spec, modules);
      case CNN -> cnn(spec, modules);
      case RESNET18 -> resnet18(spec, modules);
      case TORCHSCRIPT -> throw new IllegalStateException("a module is loaded, not built");
    };
  }

  /** The quickstart's Flatten → (Linear → ReLU)* → Linear. */
  private static SequentialBlock mlp(ModelSpec spec, Map<String, Block> modules) {
    SequentialBlock block = new SequentialBlock();
    block.add(Blocks.batchFlattenBlock(spec.inputFeatures()));
    for (int layer = 0; layer < spec.numLinearLayers(); layer++) {
      if (layer > 0) {
        block.add(Activation.reluBlock());
      }
      Linear linear = Linear.builder().setUnits(spec.widths().get(layer + 1)).build();
      modules.put("linear_relu_stack." + (2 * layer), linear);
      block.add(linear);
    }
    return block;
  }

  /** features: (Conv2d 3x3 → BatchNorm2d → ReLU → MaxPool2d 2)*; classifier: Flatten → ... */
  private static SequentialBlock cnn(ModelSpec spec, Map<String, Block> modules) {
    SequentialBlock block = new SequentialBlock();
    List<Integer> convolutions = spec.convolutions();
    for (int i = 0; i < convolutions.size(); i++) {
      Block conv = conv(convolutions.get(i), 3, 1, true);
      Block norm = batchNorm();
      modules.put("features." + (4 * i), conv);
      modules.put("features." + (4 * i + 1), norm);
      block.add(conv).add(norm).add(Activation.reluBlock());
      block.add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)));
    }
    block.add(Blocks.batchFlattenBlock());
    int index = 1;
    for (int width : spec.hidden()) {
      Linear linear = Linear.builder().setUnits(width).build();
      modules.put("classifier." + index, linear);
      block.add(linear).add(Activation.reluBlock()).add(Dropout.builder().optRate(0.5f).build());
      index += 3;
    }
    Linear output = Linear.builder().setUnits(spec.numClasses()).build();
    modules.put("classifier." + index, output);
    return block.add(output);
  }

  /** torchvision's ResNet-18 with the CIFAR stem: 3x3 conv, stride 1, no max pooling. */
  private static SequentialBlock resnet18(ModelSpec spec, Map<String, Block> modules) {
    SequentialBlock block = new SequentialBlock();
    Block stem = conv(64, 3, 1, false);
    Block stemNorm = batchNorm();
    modules.put("conv1", stem);
    modules.put("bn1", stemNorm);
    block.add(stem).add(stemNorm).add(Activation.reluBlock());
    int[] widths = {64, 128, 256, 512};
    for (int stage = 0; stage < 4; stage++) {
      for (int b = 0; b < 2; b++) {
        String prefix = "layer" + (stage + 1) + "." + b;
        int stride = stage > 0 && b == 0 ? 2 : 1;
        Block conv1 = conv(widths[stage], 3, stride, false);
        Block bn1 = batchNorm();
        Block conv2 = conv(widths[stage], 3, 1, false);
        Block bn2 = batchNorm();
        modules.put(prefix + ".conv1", conv1);
        modules.put(prefix + ".bn1", bn1);
        modules.put(prefix + ".conv2", conv2);
        modules.put(prefix + ".bn2", bn2);
        SequentialBlock main =
            new SequentialBlock()
                .add(conv1)
                .add(bn1)
                .add(Activation.reluBlock())
                .add(conv2)
                .add(bn2);
        Block shortcut;
        if (stride != 1) {
          Block down = conv(widths[stage], 1, stride, false);
          Block downNorm = batchNorm();
          modules.put(prefix + ".downsample.0", down);
          modules.put(prefix + ".downsample.1", downNorm);
          shortcut = new SequentialBlock().add(down).add(downNorm);
        } else {
          shortcut = Blocks.identityBlock();
        }
        block.add(
            new ParallelBlock(
                outputs ->
                    new NDList(
                        outputs.get(0).singletonOrThrow().add(outputs.get(1).singletonOrThrow())),
                List.of(main, shortcut)));
        block.add(Activation.reluBlock());
      }
    }
    block.add(Pool.globalAvgPool2dBlock()).add(Blocks.batchFlattenBlock());
    Linear fc = Linear.builder().setUnits(spec.numClasses()).build();
    modules.put("fc", fc);
    return block.add(fc);
  }

  private static Block conv(int channels, int kernel, int stride, boolean bias) {
    int padding = kernel / 2;
    return Conv2d.builder()
        .setKernelShape(new Shape(kernel, kernel))
        .optStride(new Shape(stride, stride))
        .optPadding(new Shape(padding, padding))
        .setFilters(channels)
        .optBias(bias)
        .build();
  }

  /** BatchNorm2d with PyTorch's defaults: eps 1e-5, momentum 0.1 (DJL writes it as 0.9). */
  private static Block batchNorm() {
    return BatchNorm.builder().optEpsilon(1e-5f).optMomentum(0.9f).build();
  }
}
