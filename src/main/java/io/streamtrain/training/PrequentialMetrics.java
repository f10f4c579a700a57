package io.streamtrain.training;

import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Prequential (test-then-train) metrics: each step's loss and correct count come from its forward
 * pass before the update, so they measure the model on examples it has not learnt from yet. Summed
 * over windows of {@code everySteps} applied steps.
 */
final class PrequentialMetrics {
  /** One window's figures: mean step loss, accuracy, throughput and examples seen. */
  record Window(double meanLoss, double accuracy, double imagesPerSecond, long examples) {}

  private final int everySteps;
  private final LongSupplier nanoClock;
  private double lossSum;
  private long correct;
  private long seen;
  private int steps;
  private long startNanos;

  /** {@code nanoClock}: a monotonic clock in nanoseconds, like {@link System#nanoTime}. */
  PrequentialMetrics(int everySteps, LongSupplier nanoClock) {
    this.everySteps = everySteps;
    this.nanoClock = nanoClock;
    this.startNanos = nanoClock.getAsLong();
  }

  /**
   * Adds an applied step of {@code examples} examples.
   *
   * @return the window it completes, if it does; the next window starts empty
   */
  Optional<Window> add(double loss, int correctInStep, int examples) {
    lossSum += loss;
    correct += correctInStep;
    seen += examples;
    if (++steps < everySteps) {
      return Optional.empty();
    }
    double seconds = (nanoClock.getAsLong() - startNanos) / 1e9;
    Window window =
        new Window(lossSum / steps, (double) correct / seen, seen / Math.max(seconds, 1e-9), seen);
    lossSum = 0;
    correct = 0;
    seen = 0;
    steps = 0;
    startNanos = nanoClock.getAsLong();
    return Optional.of(window);
  }
}
