package io.streamtrain.cli;

import io.streamtrain.app.Pipeline;
import io.streamtrain.config.Settings;
import io.streamtrain.kafka.Brokers;
import io.streamtrain.model.Devices;
import io.streamtrain.model.Evaluation;
import io.streamtrain.model.InferenceModel;
import io.streamtrain.model.StateDictFiles;
import io.streamtrain.model.StateDicts;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.training.TestSet;
import io.streamtrain.training.TestSets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    description =
        "Evaluate the newest snapshot (or a saved state dict) on images.test, in the quickstart's"
            + " format.",
    footer = {
      "",
      "Examples:",
      "  streamtrain evaluate",
      "  streamtrain evaluate --snapshot model.params --json"
    })
final class EvaluateCommand implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Option(
      names = "--snapshot",
      paramLabel = "FILE",
      description = "A saved state dict instead of the topic's newest snapshot.")
  Path snapshot;

  @Option(names = "--json", description = "Print the result as JSON on stdout.")
  boolean json;

  @Override
  public Integer call() {
    Settings settings = common.settings();
    Brokers.awaitReachable(settings.adminProps(), Duration.ofSeconds(30));
    Pipeline pipeline = new Pipeline(settings);
    ModelSnapshot model =
        snapshot != null
            ? StateDictFiles.load(snapshot)
            : pipeline.requireSnapshot(Pipeline.Resume.latest(), "");
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
      Evaluation e = inference.evaluate(test.pixels(), test.labels(), test.count(), 64);
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
    return 0;
  }
}
