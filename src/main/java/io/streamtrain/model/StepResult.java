package io.streamtrain.model;

/**
 * The outcome of one training step.
 *
 * @param loss mean softmax cross-entropy over the batch (before the update)
 * @param correct examples whose prediction before the update was right (prequential accuracy)
 * @param size examples in the batch
 * @param finite false when the loss or a gradient was NaN/Inf; the update was then NOT applied
 * @param version the model version (applied steps) after this step
 */
public record StepResult(float loss, int correct, int size, boolean finite, long version) {
  /** Prequential accuracy of this batch. */
  public double accuracy() {
    return size == 0 ? 0 : (double) correct / size;
  }
}
