package io.streamtrain.bench;

import io.streamtrain.app.Progress;
import io.streamtrain.config.Training;
import io.streamtrain.data.ImageTensors;
import io.streamtrain.data.LabeledDataset;
import io.streamtrain.model.Learner;
import io.streamtrain.model.Learners;
import io.streamtrain.training.MiniBatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The training benchmark's reference side: a plain DJL loop over the decoded dataset, with the
 * pipeline's model, batch size and per-epoch shuffle, and no Kafka.
 */
final class InMemoryLoop {
  private InMemoryLoop() {}

  /** JIT and native warm-up so neither side pays for it. */
  static void warmUp(Training training, LabeledDataset train) {
    try (Learner learner = Learners.create(training)) {
      float[] x = new float[training.batchSize() * train.imageSize()];
      int[] y = new int[training.batchSize()];
      for (int step = 0; step < 50; step++) {
        fill(train, step * training.batchSize(), training.batchSize(), x, y, null);
        learner.step(x, y, training.batchSize());
      }
    }
  }

  /** {@code epochs} passes over the first {@code count} images of {@code train}. */
  static TrainingSide run(
      Training training, LabeledDataset train, int count, int epochs, String name) {
    List<Long> rss = new ArrayList<>();
    List<Double> epochSeconds = new ArrayList<>();
    long steps = 0;
    int batch = training.batchSize();
    float[] x = new float[batch * train.imageSize()];
    int[] y = new int[batch];
    long start;
    long end;
    try (Learner learner = Learners.create(training)) {
      start = System.nanoTime(); // the pipeline's model is created before its clock too
      for (int epoch = 1; epoch <= epochs; epoch++) {
        long epochStart = System.nanoTime();
        int[] order =
            MiniBatcher.permutation(count, new SplittableRandom(training.seed() * 31 + epoch));
        Progress progress = new Progress(System.err, "in-memory epoch " + epoch, count);
        for (int from = 0; from < count; from += batch) {
          int n = Math.min(batch, count - from);
          fill(train, from, n, x, y, order);
          learner.step(x, y, n);
          steps++;
          progress.update(from + n);
        }
        epochSeconds.add((System.nanoTime() - epochStart) / 1e9);
        rss.add(ResidentMemory.bytes());
      }
      end = System.nanoTime();
    }
    double seconds = (end - start) / 1e9;
    return new TrainingSide(
        name,
        (long) count * epochs,
        steps,
        seconds,
        rss,
        epochSeconds,
        0,
        0,
        0,
        ThreadCosts.NOT_MEASURED);
  }

  /** Decodes examples [from, from+n) of the (optionally permuted) dataset into x and y. */
  private static void fill(LabeledDataset data, int from, int n, float[] x, int[] y, int[] order) {
    int size = data.imageSize();
    for (int i = 0; i < n; i++) {
      int index = order == null ? (from + i) % data.count() : order[from + i];
      ImageTensors.toTensor(
          data.pixels(), data.imageOffset(index), data.rows(), data.cols(), 1, x, i * size);
      y[i] = data.label(index);
    }
  }
}
