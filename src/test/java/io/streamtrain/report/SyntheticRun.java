package io.streamtrain.report;

import io.streamtrain.schema.MetricKind;
import io.streamtrain.schema.TrainingMetric;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Metric records shaped like the quickstart's run through the trainer, generated for tests. */
final class SyntheticRun {
  static final int STEPS_PER_EPOCH = 938;
  static final double[] TEST_ACCURACY = {0.511, 0.579, 0.613, 0.641, 0.664};
  static final double[] TEST_LOSS = {2.149, 1.862, 1.497, 1.265, 1.101};

  private SyntheticRun() {}

  /** {@code epochs} epochs of 938 steps: BATCH every 100 batches, PREQUENTIAL every 100 steps. */
  static List<TrainingMetric> quickstart(String model, int epochs) {
    Random random = new Random(7);
    List<TrainingMetric> out = new ArrayList<>();
    long start = 1_700_000_000_000L;
    long step = 0;
    for (int epoch = 1; epoch <= epochs; epoch++) {
      for (int b = 0; b < STEPS_PER_EPOCH; b++) {
        step++;
        double progress = step / (double) (STEPS_PER_EPOCH * 5);
        double loss = 2.3 - 1.2 * Math.sqrt(progress);
        long time = start + step * 20;
        if (b % 100 == 0) {
          out.add(
              metric(
                  model,
                  epoch,
                  step,
                  MetricKind.BATCH,
                  loss + 0.15 * random.nextGaussian(),
                  null,
                  null,
                  (long) (b + 1) * 64,
                  time));
        }
        if (step % 100 == 0) {
          double accuracy = Math.min(0.95, 0.15 + 0.55 * Math.sqrt(progress));
          out.add(
              metric(
                  model,
                  epoch,
                  step,
                  MetricKind.PREQUENTIAL,
                  loss,
                  accuracy,
                  3200.0 + 100 * random.nextGaussian(),
                  6400L,
                  time));
        }
      }
      int i = Math.min(epoch, TEST_ACCURACY.length) - 1;
      out.add(
          metric(
              model,
              epoch,
              step,
              MetricKind.TEST_EPOCH,
              TEST_LOSS[i],
              TEST_ACCURACY[i],
              null,
              10_000L,
              start + step * 20 + 500));
    }
    return out;
  }

  static TrainingMetric metric(
      String model,
      int epoch,
      long step,
      MetricKind kind,
      Double loss,
      Double accuracy,
      Double imagesPerSecond,
      Long count,
      long time) {
    return TrainingMetric.newBuilder()
        .setModelName(model)
        .setVersion(step)
        .setEpoch(epoch)
        .setStep(step)
        .setKind(kind)
        .setLoss(loss)
        .setAccuracy(accuracy)
        .setImagesPerSecond(imagesPerSecond)
        .setCount(count)
        .setTime(Instant.ofEpochMilli(time))
        .build();
  }
}
