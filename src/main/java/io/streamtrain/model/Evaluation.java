package io.streamtrain.model;

/**
 * A test pass computed like the PyTorch quickstart's test(): {@code accuracy = correct / count},
 * {@code averageLoss = sum of per-batch mean losses / batches}.
 */
public record Evaluation(double accuracy, double averageLoss, long correct, long count, int batches) {
  /** The quickstart's line, e.g. {@code Accuracy: 64.6%, Avg loss: 1.107701}. */
  public String quickstartLine() {
    return String.format(
        java.util.Locale.ROOT, "Accuracy: %.1f%%, Avg loss: %.6f", 100 * accuracy, averageLoss);
  }
}
