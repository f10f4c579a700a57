package io.streamtrain.cli;

import io.streamtrain.app.Demo;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "The PyTorch quickstart through Kafka, all in this process: an embedded broker, a mock://"
          + " registry, topics, Fashion-MNIST produced and replayed for N epochs, online training,"
          + " a test evaluation per epoch, the final state dict saved, loaded and used to predict"
          + " the first test image."
    },
    footer = {
      "",
      "Examples:",
      "  streamtrain demo                      # the reference run: 5 epochs, SGD lr=1e-3",
      "  streamtrain demo --preset good        # a good model: about 88%% after 5 epochs",
      "  streamtrain demo --epochs 1 --limit 6000 --save /tmp/model.params"
    })
final class DemoCommand implements Callable<Integer> {
  @Mixin TrainingOptions trainingOptions;

  @Option(names = "--epochs", description = "Epochs to train (default 5).")
  int epochs = 5;

  @Option(names = "--data", paramLabel = "DIR", description = "Fashion-MNIST directory.")
  Path data;

  @Option(
      names = "--limit",
      paramLabel = "N",
      description = "Use only the first N training images.")
  Integer limit;

  @Option(
      names = "--save",
      paramLabel = "FILE",
      description = "Where to save the final state dict (default model.params).")
  Path save = Path.of("model.params");

  @Option(names = "--json", description = "Print per-epoch results as JSON on stdout.")
  boolean json;

  @Option(
      names = "--report",
      paramLabel = "DIR",
      description = "Also write the learning curves (PNG + HTML) of the run to DIR.")
  Path report;

  @Override
  public Integer call() throws Exception {
    Demo.run(new Demo.Options(epochs, data, limit, save, json, report, trainingOptions.flags()));
    return 0;
  }
}
