package io.streamtrain.cli;

import io.streamtrain.config.Settings;
import io.streamtrain.kafka.Brokers;
import io.streamtrain.topology.Pipeline;
import java.time.Duration;
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

  @Option(names = "--epochs", paramLabel = "N", description = "Stop once epoch N of the feed is trained and evaluated.")
  Integer epochs;

  @Option(names = "--follow", description = "Keep training as new records arrive, until interrupted.")
  boolean follow;

  @Option(names = "--from-scratch", description = "Ignore existing snapshots of the model.")
  boolean fromScratch;

  @Override
  public Integer call() throws Exception {
    if (epochs != null && epochs < 1) {
      throw new IllegalArgumentException("--epochs must be at least 1 (got " + epochs + ")");
    }
    Settings settings = common.settings(trainingOptions.flags());
    Brokers.awaitReachable(settings.adminProps(), Duration.ofSeconds(30));
    Pipeline pipeline = new Pipeline(settings);
    QuickstartPrinter printer =
        new QuickstartPrinter(System.out, Offsets.total(settings, pipeline.names().imagesTrain()));
    TrainingRun run = new TrainingRun(pipeline, fromScratch, printer);
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              System.err.println("Stopping: publishing a final snapshot");
              run.close();
              stopped.countDown();
            });
    Runtime.getRuntime().addShutdownHook(hook);
    run.start();
    if (follow || epochs == null) {
      while (run.failure() == null && stopped.getCount() > 0) {
        stopped.await(1, java.util.concurrent.TimeUnit.SECONDS);
      }
      run.throwIfFailed();
      return 0;
    }
    try {
      DemoCommand.await(printer, run, epochs);
    } finally {
      Runtime.getRuntime().removeShutdownHook(hook);
      run.close();
    }
    return 0;
  }
}
