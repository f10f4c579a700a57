package io.streamtrain.cli;

import io.streamtrain.app.Pipeline;
import io.streamtrain.app.QuickstartPrinter;
import io.streamtrain.app.TrainingRun;
import io.streamtrain.config.Settings;
import io.streamtrain.kafka.Brokers;
import io.streamtrain.kafka.Offsets;
import io.streamtrain.metrics.Monitoring;
import io.streamtrain.model.ModelSpec;
import io.streamtrain.model.SnapshotRejectedException;
import io.streamtrain.model.StateDicts;
import io.streamtrain.schema.ModelSnapshot;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
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
      names = "--metrics-port",
      paramLabel = "PORT",
      description = "Serve Prometheus metrics at http://HOST:PORT/metrics (0: any free port).")
  Integer metricsPort;

  @Override
  public Integer call() throws Exception {
    if (epochs != null && epochs < 1) {
      throw new IllegalArgumentException("--epochs must be at least 1 (got " + epochs + ")");
    }
    if (fromScratch && snapshotVersion != null) {
      throw new IllegalArgumentException(
          "--from-scratch and --snapshot-version exclude each other: give one of them");
    }
    Pipeline.Resume resume =
        fromScratch
            ? Pipeline.Resume.fromScratch()
            : snapshotVersion != null
                ? Pipeline.Resume.version(snapshotVersion)
                : Pipeline.Resume.latest();
    Settings settings = common.settings(trainingOptions.flags());
    Brokers.awaitReachable(settings.adminProps(), Duration.ofSeconds(30));
    Pipeline pipeline = new Pipeline(settings);
    Optional<ModelSnapshot> start = pipeline.startSnapshot(resume);
    if (start.isPresent()) {
      check(start.get(), settings);
      if (epochs != null && resume.kind() == Pipeline.Resume.Kind.LATEST && trained(start.get())) {
        System.err.printf(
            "Model %s is trained through epoch %d already (snapshot version %d): nothing to do%n",
            settings.modelName(), epochs, start.get().getVersion());
        return 0;
      }
    }
    QuickstartPrinter printer =
        new QuickstartPrinter(System.out, Offsets.total(settings, pipeline.names().imagesTrain()));
    Monitoring monitoring =
        metricsPort == null ? null : Monitoring.start(metricsPort, "trainer", settings.modelName());
    TrainingRun run =
        new TrainingRun(
            pipeline,
            resume,
            monitoring == null ? printer : monitoring.trainingListener(printer),
            follow);
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              System.err.println("Stopping: publishing a final snapshot");
              run.close();
              closeQuietly(monitoring);
              stopped.countDown();
            });
    run.start();
    if (monitoring != null) {
      monitoring.bindStreams(run.streams());
      monitoring.bindConsumerLag(settings.adminProps(), pipeline.trainerApplicationId());
      System.err.println("Metrics at " + monitoring.uri());
    }
    Runtime.getRuntime().addShutdownHook(hook);
    if (follow || epochs == null) {
      while (run.failure() == null && stopped.getCount() > 0) {
        stopped.await(1, java.util.concurrent.TimeUnit.SECONDS);
      }
      run.throwIfFailed();
      return 0;
    }
    try {
      run.awaitEpoch(printer, epochs);
    } finally {
      Runtime.getRuntime().removeShutdownHook(hook);
      run.close();
      closeQuietly(monitoring);
    }
    return 0;
  }

  private static void closeQuietly(Monitoring monitoring) {
    if (monitoring != null) {
      monitoring.close();
    }
  }

  /**
   * Refuses, before anything starts, a snapshot whose checksum or architecture is wrong, with one
   * line saying how to go on; the trainer checks again (and fully) whenever its task starts.
   */
  private static void check(ModelSnapshot snapshot, Settings settings) {
    try {
      StateDicts.verify(snapshot);
      String expected = ModelSpec.parse(settings.training().architecture()).toString();
      if (!expected.equals(snapshot.getArchitecture())) {
        throw new SnapshotRejectedException(
            "snapshot of model "
                + snapshot.getModelName()
                + " version "
                + snapshot.getVersion()
                + " is a "
                + snapshot.getArchitecture()
                + " but --architecture is "
                + expected);
      }
    } catch (SnapshotRejectedException e) {
      throw new IllegalStateException(TrainingRun.refusal(e), e);
    }
  }

  /** Whether {@code snapshot} is at or past the end of the epoch --epochs names. */
  private boolean trained(ModelSnapshot snapshot) {
    return snapshot.getEpoch() > epochs
        || (snapshot.getEpoch() == epochs && snapshot.getEpochComplete());
  }
}
