package io.streamtrain.bench;

import io.streamtrain.app.LocalCluster;
import io.streamtrain.config.Checks;
import io.streamtrain.config.Training;
import io.streamtrain.data.DatasetLocator;
import io.streamtrain.data.FashionMnist;
import io.streamtrain.data.LabeledDataset;
import io.streamtrain.data.Split;
import io.streamtrain.model.Devices;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code bench}: training throughput, side by side in one process with the same model, batch size,
 * thread settings and data: an {@link InMemoryLoop} over the decoded dataset, then the {@link
 * PipelineSide} on a {@link LocalCluster}, then the in-memory loop again, so that the pipeline is
 * compared with both.
 */
public final class TrainingBenchmark {
  /**
   * What to measure.
   *
   * @param epochs measured epochs per side
   * @param warmUpEpochs epochs the pipeline trains before its clock starts
   * @param limit the first N training images only, null for all
   * @param data Fashion-MNIST directory, null for the standard locations
   * @param trainingFlags settings flags of the training, as {@code SettingsLoader} takes them
   * @param feed the feed ceiling: a near-free model ({@link #FEED_ARCHITECTURE} unless an
   *     architecture or preset is given), so that the pipeline's own cost per image shows
   */
  public record Options(
      int epochs,
      int warmUpEpochs,
      Integer limit,
      Path data,
      Map<String, String> trainingFlags,
      boolean feed) {
    public Options {
      Checks.atLeast("--epochs", epochs, 1);
      if (warmUpEpochs < 0) {
        throw new IllegalArgumentException(
            "--warmup-epochs must be 0 or more (got " + warmUpEpochs + ")");
      }
      // Flags the user left out are null here: SettingsLoader falls back to its defaults.
      Map<String, String> flags = new HashMap<>(trainingFlags);
      if (feed && flags.get("architecture") == null && flags.get("preset") == null) {
        flags.put("architecture", FEED_ARCHITECTURE);
      }
      trainingFlags = Collections.unmodifiableMap(flags);
    }
  }

  /**
   * The feed ceiling's model: one linear layer, whose step costs a small fraction of what feeding
   * it costs, as a GPU's step of a larger model would.
   */
  public static final String FEED_ARCHITECTURE = "mlp:784-10";

  /** The three runs, in the order they ran. */
  public record Result(
      Options options, TrainingSide before, TrainingSide pipeline, TrainingSide after) {
    /** The table and ratios; {@code heap} is the forked JVM's {@code --heap}. */
    public void print(PrintStream out, String heap, boolean json) {
      TrainingReport.print(out, this, heap, json);
    }
  }

  private TrainingBenchmark() {}

  /** Runs the three sides; progress goes to stderr. */
  public static Result run(Options options) throws Exception {
    Path dir = DatasetLocator.standard().locate(Optional.ofNullable(options.data())).dir();
    LabeledDataset train = FashionMnist.load(dir, Split.TRAIN);
    int count = options.limit() == null ? train.count() : Math.min(options.limit(), train.count());
    int epochs = options.epochs();
    Map<String, String> flags = new HashMap<>(options.trainingFlags());
    flags.put("evaluate-each-epoch", "false");
    try (LocalCluster cluster = LocalCluster.start("bench", flags)) {
      Training training = cluster.settings().training();
      System.err.printf(
          Locale.ROOT,
          "bench: %s, %s lr=%s, batch %d, %,d images x %d epoch(s), device %s, %d cores%n",
          training.architecture(),
          training.optimizer(),
          training.learningRate(),
          training.batchSize(),
          count,
          epochs,
          Devices.select(training.device()),
          Runtime.getRuntime().availableProcessors());

      InMemoryLoop.warmUp(training, train);
      // In-memory, pipeline, in-memory again: the machine's speed drifts, and the pipeline is
      // compared with both.
      TrainingSide before =
          InMemoryLoop.run(training, train, count, epochs, "in-memory DJL loop, before");
      TrainingSide pipeline =
          new PipelineSide(cluster.pipeline(), epochs, options.warmUpEpochs()).run(train, count);
      TrainingSide after =
          InMemoryLoop.run(training, train, count, epochs, "in-memory DJL loop, after");
      return new Result(options, before, pipeline, after);
    }
  }
}
