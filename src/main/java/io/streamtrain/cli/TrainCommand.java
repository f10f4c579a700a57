package io.streamtrain.cli;

import io.streamtrain.app.InitialModel;
import io.streamtrain.app.Pipeline;
import io.streamtrain.app.TrainingService;
import io.streamtrain.config.Settings;
import io.streamtrain.kafka.Brokers;
import io.streamtrain.snapshots.Resume;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
      "Run the training application: train.feed -> shuffled mini-batches -> SGD steps ->"
          + " snapshots on model.snapshots and metrics on training.metrics. Resumes from the"
          + " newest snapshot of the model. On SIGTERM/Ctrl-C it publishes a final snapshot first."
    },
    footer = {
      "",
      "Examples:",
      "  streamtrain train --epochs 5          # stop after the feed's epoch 5 has been trained",
      "  streamtrain train --follow            # keep learning from new records until stopped",
      "  streamtrain train --preset good --model-name fashion-good --follow"
    })
final class TrainCommand implements Callable<Integer> {
  @Mixin CommonOptions common;
  @Mixin RecordOptions records;
  @Mixin TrainingOptions trainingOptions;

  @Option(
      names = "--epochs",
      paramLabel = "N",
      description = "Stop once epoch N of the feed is trained and evaluated.")
  Integer epochs;

  @Option(
      names = "--follow",
      description = "Keep training as new records arrive, until interrupted.")
  boolean follow;

  @Option(
      names = "--from-scratch",
      description =
          "Ignore existing snapshots of the model: start from a fresh initialisation (versions"
              + " continue after the newest on the topic, so predictors take the new model).")
  boolean fromScratch;

  @Option(
      names = "--snapshot-version",
      paramLabel = "V",
      description =
          "Resume from exactly this snapshot version, which must be on model.snapshots (e.g."
              + " after the newest one was refused); later versions continue after the newest.")
  Long snapshotVersion;

  @Option(
      names = "--init-from",
      paramLabel = "FILE",
      description =
          "Start from this state dict (.pth or .safetensors as PyTorch saves them, or .params) and"
              + " keep learning: it is checked against --architecture and published as the model's"
              + " newest snapshot.")
  Path initFrom;

  @Mixin MetricsOptions metrics;

  @Override
  public Integer call() throws Exception {
    if (epochs != null && epochs < 1) {
      throw new IllegalArgumentException("--epochs must be at least 1 (got " + epochs + ")");
    }
    if (fromScratch && snapshotVersion != null) {
      throw new IllegalArgumentException(
          "--from-scratch and --snapshot-version exclude each other: give one of them");
    }
    if (initFrom != null && (fromScratch || snapshotVersion != null)) {
      throw new IllegalArgumentException(
          "--init-from excludes --from-scratch and --snapshot-version: give one of them");
    }
    Resume resume =
        fromScratch
            ? Resume.fromScratch()
            : snapshotVersion != null ? Resume.version(snapshotVersion) : Resume.latest();
    Settings settings = common.settings(records.with(trainingOptions.flags()));
    Pipeline.transforms(settings); // a spec the model cannot take: one line, before the broker
    if (initFrom != null) {
      Brokers.awaitReachable(settings.adminProps(), Duration.ofSeconds(30));
      var initial = InitialModel.publish(new Pipeline(settings), initFrom);
      System.err.printf(
          "Model %s starts from %s as version %d%n",
          settings.modelName(), initFrom, initial.getVersion());
    }
    TrainingService.run(settings, resume, epochs, follow, metrics.metricsPort);
    return 0;
  }
}
