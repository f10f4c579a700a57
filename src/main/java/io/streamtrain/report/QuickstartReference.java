package io.streamtrain.report;

import java.util.List;
import java.util.OptionalDouble;

/**
 * The published figures of the PyTorch quickstart on Fashion-MNIST (MLP 784-512-512-10, SGD
 * lr=1e-3, batch 64) that a streamtrain run is compared against.
 */
public final class QuickstartReference {
  /** Test accuracy (a fraction) after epochs 1..5. */
  public static final List<Double> TEST_ACCURACY = List.of(0.375, 0.515, 0.601, 0.629, 0.646);

  /** The epoch whose average test loss the quickstart prints last, and that loss. */
  public static final int TEST_LOSS_EPOCH = 5;

  public static final double TEST_LOSS = 1.1077;

  private QuickstartReference() {}

  public static int epochs() {
    return TEST_ACCURACY.size();
  }

  /** The reference test accuracy after {@code epoch} (1-based), if the quickstart reports one. */
  public static OptionalDouble accuracy(int epoch) {
    return epoch >= 1 && epoch <= TEST_ACCURACY.size()
        ? OptionalDouble.of(TEST_ACCURACY.get(epoch - 1))
        : OptionalDouble.empty();
  }

  /** The reference average test loss after {@code epoch}, known for the last epoch only. */
  public static OptionalDouble testLoss(int epoch) {
    return epoch == TEST_LOSS_EPOCH ? OptionalDouble.of(TEST_LOSS) : OptionalDouble.empty();
  }
}
