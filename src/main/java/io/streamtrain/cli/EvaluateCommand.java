package io.streamtrain.cli;

import io.streamtrain.app.OfflineEvaluation;
import io.streamtrain.app.Pipeline;
import io.streamtrain.config.Settings;
import io.streamtrain.kafka.Brokers;
import io.streamtrain.model.Devices;
import io.streamtrain.model.Evaluation;
import io.streamtrain.model.InferenceModel;
import io.streamtrain.model.StateDictFiles;
import io.streamtrain.model.StateDicts;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.snapshots.Resume;
import io.streamtrain.training.TestSet;
import io.streamtrain.training.TestSets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    description =
        "Evaluate the newest snapshot (or a saved state dict) on images.test, or on a local test"
            + " set without Kafka (--snapshot FILE --data PATH), in the quickstart's format.",
    footer = {
      "",
      "Examples:",
      "  streamtrain evaluate",
      "  streamtrain evaluate --snapshot model.params --json",
      "  streamtrain evaluate --snapshot model.pth --data /usr/share/datasets/fashion-mnist"
    })
final class EvaluateCommand implements Callable<Integer> {
  @Mixin CommonOptions common;
  @Mixin RecordOptions records;

  @Option(
      names = "--snapshot",
      paramLabel = "FILE",
      description = "A saved state dict instead of the topic's newest snapshot.")
  Path snapshot;

  @Option(
      names = "--data",
      paramLabel = "PATH",
      description =
          "Evaluate on this local test set instead of images.test: Fashion-MNIST's IDX directory"
              + " (its test split), an ImageFolder tree or one image. With --snapshot no broker"
              + " is needed.")
  Path data;

  @Option(names = "--json", description = "Print the result as JSON on stdout.")
  boolean json;

  @Override
  public Integer call() {
    Settings settings = common.settings(records.with(Map.of()));
    if (data != null) {
      OfflineEvaluation.Result result =
          snapshot != null
              ? OfflineEvaluation.run(snapshot, data, settings)
              : OfflineEvaluation.run(newestSnapshot(settings), data, settings);
      print(result.model(), result.evaluation());
      return 0;
    }
    Brokers.awaitReachable(settings.adminProps(), Duration.ofSeconds(30));
    Pipeline pipeline = new Pipeline(settings);
    ModelSnapshot model =
        snapshot != null
            ? StateDictFiles.load(snapshot)
            : pipeline.requireSnapshot(Resume.latest(), "");
    TestSet test =
        TestSets.load(
            settings.consumerProps(null),
            pipeline.names().imagesTest(),
            pipeline.decoder(pipeline.names().imagesTest(), model));
    if (test.isEmpty()) {
      throw new IllegalStateException(
          "No test images on "
              + pipeline.names().imagesTest()
              + ": run `streamtrain produce --split test` first");
    }
    try (InferenceModel inference =
        StateDicts.toInferenceModel(model, Devices.select(settings.training().device()))) {
      print(model, inference.evaluate(test.pixels(), test.labels(), test.count(), 64));
    }
    return 0;
  }

  private static ModelSnapshot newestSnapshot(Settings settings) {
    Brokers.awaitReachable(settings.adminProps(), Duration.ofSeconds(30));
    return new Pipeline(settings).requireSnapshot(Resume.latest(), "");
  }

  private void print(ModelSnapshot model, Evaluation e) {
    if (json) {
      System.out.printf(
          Locale.ROOT,
          "{\"model\":\"%s\",\"version\":%d,\"epoch\":%d,\"accuracy\":%.4f,\"avgLoss\":%.6f,\"count\":%d}%n",
          model.getModelName(),
          model.getVersion(),
          model.getEpoch(),
          e.accuracy(),
          e.averageLoss(),
          e.count());
    } else {
      System.out.printf(
          Locale.ROOT,
          "Model %s version %d (epoch %d)%nTest Error: %n Accuracy: %.1f%%, Avg loss: %f %n",
          model.getModelName(),
          model.getVersion(),
          model.getEpoch(),
          100 * e.accuracy(),
          e.averageLoss());
    }
  }
}
