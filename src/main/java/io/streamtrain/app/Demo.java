package io.streamtrain.app;

import io.streamtrain.config.Checks;
import io.streamtrain.config.Settings;
import io.streamtrain.data.DatasetLocator;
import io.streamtrain.data.FashionMnist;
import io.streamtrain.data.LabeledDataset;
import io.streamtrain.data.LabeledImages;
import io.streamtrain.data.Split;
import io.streamtrain.kafka.Publisher;
import io.streamtrain.kafka.Replayer;
import io.streamtrain.model.Devices;
import io.streamtrain.model.InferenceModel;
import io.streamtrain.model.ModelSpec;
import io.streamtrain.model.StateDictFiles;
import io.streamtrain.model.StateDicts;
import io.streamtrain.records.ClassNames;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.serving.Predictor;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The PyTorch quickstart through Kafka on a {@link LocalCluster}: Fashion-MNIST produced and
 * replayed for N epochs, online training with a test evaluation per epoch, the final state dict
 * saved, loaded and used to predict the first test image. Results go to stdout, progress to stderr.
 */
public final class Demo {
  /**
   * What to run.
   *
   * @param data Fashion-MNIST directory, null for the standard locations
   * @param limit the first N training images only, null for all
   * @param save where the final state dict goes
   * @param trainingFlags settings flags of the training, as {@code SettingsLoader} takes them
   */
  public record Options(
      int epochs, Path data, Integer limit, Path save, Map<String, String> trainingFlags) {
    public Options {
      Checks.atLeast("--epochs", epochs, 1);
      // Flags the user left out are null here: SettingsLoader falls back to its defaults.
      trainingFlags = Collections.unmodifiableMap(new HashMap<>(trainingFlags));
    }
  }

  private Demo() {}

  /**
   * What the caller adds to the run, while the cluster still runs (the learning curves, read back
   * from the metrics topic, and the per-epoch comparison with the quickstart's figures are the
   * command's: {@code report} reads topics through the application layer).
   */
  public interface Output {
    /** After the last epoch, before the state dict is saved. */
    void trained(Pipeline pipeline) throws Exception;

    /** At the end: {epoch, test accuracy (a fraction), average test loss} per epoch. */
    void finished(List<double[]> results);
  }

  public static void run(Options options, Output output) throws Exception {
    Path dir = DatasetLocator.standard().locate(Optional.ofNullable(options.data())).dir();
    LabeledDataset train = FashionMnist.load(dir, Split.TRAIN);
    LabeledDataset test = FashionMnist.load(dir, Split.TEST);
    int trainCount =
        options.limit() == null ? train.count() : Math.min(options.limit(), train.count());
    int epochs = options.epochs();
    try (LocalCluster cluster = LocalCluster.start("demo", options.trainingFlags())) {
      Settings settings = cluster.settings();
      Pipeline pipeline = cluster.pipeline();
      System.err.printf(
          "Embedded Kafka on %s, registry %s, device %s%n",
          cluster.broker().bootstrap(),
          settings.registryUrl(),
          Devices.select(settings.training().device()));
      publish(pipeline, pipeline.names().imagesTrain(), train, trainCount);
      publish(pipeline, pipeline.names().imagesTest(), test, test.count());

      QuickstartPrinter printer = new QuickstartPrinter(System.out, trainCount);
      try (TrainingRun run = new TrainingRun(pipeline, true, printer).start()) {
        Replayer replayer = pipeline.replayer();
        Progress progress = new Progress(System.err, "replay", (long) trainCount * epochs);
        Replayer.Summary replayed =
            replayer.replay(1, epochs, (done, total) -> progress.update(done));
        System.err.printf(
            Locale.ROOT,
            "Replayed %d epochs (%,d records) in %.2f s, %,.0f records/s%n",
            epochs,
            replayed.records(),
            replayed.seconds(),
            replayed.recordsPerSecond());
        run.awaitEpoch(printer, epochs);
      }
      System.out.println("Done!");
      output.trained(pipeline);
      ModelSnapshot finalSnapshot =
          pipeline
              .latestSnapshot()
              .orElseThrow(() -> new IllegalStateException("no snapshot on model.snapshots"));
      StateDictFiles.save(finalSnapshot, options.save());
      System.out.println("Saved PyTorch Model State to " + options.save());
      predictFirstTestImage(options.save(), finalSnapshot, test, settings);
      output.finished(printer.results());
    }
  }

  /**
   * Publishes the first {@code count} images of {@code dataset} to {@code topic}, with progress.
   */
  public static Publisher.Summary publish(
      Pipeline pipeline, String topic, LabeledDataset dataset, int count) {
    Progress progress = new Progress(System.err, "produce " + topic, count);
    Publisher.Summary summary =
        DatasetPublisher.publish(pipeline, topic, dataset, count, progress::update);
    System.err.printf(
        Locale.ROOT,
        "Produced %,d images to %s in %.2f s, %,.0f images/s%n",
        summary.count(),
        topic,
        summary.seconds(),
        summary.perSecond());
    return summary;
  }

  private static void predictFirstTestImage(
      Path file, ModelSnapshot trained, LabeledDataset test, Settings settings) {
    // As the run's architecture: a .pth's keys alone can look like a built-in family (a scripted
    // torchvision resnet18 is not our resnet18: with its 7x7 stem).
    ModelSnapshot loaded = StateDictFiles.load(file, ModelSpec.parse(trained.getArchitecture()));
    // A .pth is a plain state dict: the transforms and class names come from the snapshot saved.
    loaded.setTransforms(trained.getTransforms());
    loaded.setClassNames(trained.getClassNames());
    try (InferenceModel model =
        StateDicts.toInferenceModel(loaded, Devices.select(settings.training().device()))) {
      LabeledImage first = LabeledImages.fromDataset(test, 0);
      float[] x = ImagePrediction.input(first, model, settings);
      float[] p = model.probabilities(x, 1)[0];
      int best = Predictor.argmax(p);
      System.out.printf(
          "Predicted: \"%s\", Actual: \"%s\"%n",
          ClassNames.nameOf(model.classNames(), p.length, best),
          ClassNames.nameOf(model.classNames(), p.length, first.getLabel()));
    }
  }
}
