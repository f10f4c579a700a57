package io.streamtrain.cli;

import io.streamtrain.app.Demo;
import io.streamtrain.app.LiveDemo;
import io.streamtrain.app.Pipeline;
import io.streamtrain.report.LearningCurves;
import io.streamtrain.report.MetricsTopicReader;
import io.streamtrain.report.QuickstartReference;
import io.streamtrain.report.ReportFiles;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
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
      "  streamtrain demo --epochs 1 --limit 6000 --save /tmp/model.params   # streamtrain's format"
    })
final class DemoCommand implements Callable<Integer> {
  @Mixin TrainingOptions trainingOptions;
  @Mixin DatasetOptions dataset;

  @Option(names = "--epochs", description = "Epochs to train (default 5).")
  int epochs = 5;

  @Option(
      names = "--save",
      paramLabel = "FILE",
      description =
          "Where to save the final state dict (default model.pth, as torch.save writes it);"
              + " .safetensors, or any other extension for streamtrain's own file with the"
              + " optimizer state and lineage.")
  Path save = Path.of("model.pth");

  @Option(names = "--json", description = "Print per-epoch results as JSON on stdout.")
  boolean json;

  @Option(
      names = "--report",
      paramLabel = "DIR",
      description = "Also write the learning curves (PNG + HTML) of the run to DIR.")
  Path report;

  @Option(
      names = "--live",
      description =
          "Online learning instead of epochs: the training images stream as labeled events into a"
              + " fresh model at --rate for --duration; halfway every class's label moves to"
              + " another (concept drift). A progress line every 2 s: events, served version,"
              + " freshness p50/p99, prequential accuracy.")
  boolean live;

  @Option(
      names = "--rate",
      paramLabel = "N",
      description = "With --live: labeled events per second (default 1000).")
  double rate = 1000;

  @Option(
      names = "--duration",
      paramLabel = "S",
      description = "With --live: seconds of streaming, the drift at half time (default 120).")
  int durationSeconds = 120;

  @Override
  public Integer call() throws Exception {
    if (live) {
      LiveDemo.run(
          new LiveDemo.Options(
              rate,
              java.time.Duration.ofSeconds(durationSeconds),
              java.time.Duration.ofSeconds(2),
              java.util.Optional.ofNullable(dataset.data),
              report,
              trainingOptions.flags()),
          System.out,
          System.err);
      return 0;
    }
    Demo.run(
        new Demo.Options(epochs, dataset.data, dataset.limit, save, trainingOptions.flags()),
        new Demo.Output() {
          @Override
          public void trained(Pipeline pipeline) {
            if (report != null) {
              ReportFiles.Written written =
                  ReportFiles.write(
                      LearningCurves.from(
                          pipeline.settings().modelName(),
                          MetricsTopicReader.read(
                                  pipeline.settings().consumerProps(null),
                                  pipeline.metrics(),
                                  pipeline.settings().modelName())
                              .metrics()),
                      report);
              System.err.println("Learning curves: " + written.png() + " and " + written.html());
            }
          }

          @Override
          public void finished(List<double[]> results) {
            if (json) {
              printJson(results);
            }
            printComparison(results);
          }
        });
    return 0;
  }

  private static void printComparison(List<double[]> results) {
    System.err.println("epoch  streamtrain  quickstart reference");
    for (double[] r : results) {
      int epoch = (int) r[0];
      OptionalDouble reference = QuickstartReference.accuracy(epoch);
      String ref =
          reference.isPresent()
              ? String.format(Locale.ROOT, "%.1f%%", 100 * reference.getAsDouble())
              : "-";
      System.err.printf(Locale.ROOT, "%5d  %10.1f%%  %s%n", epoch, 100 * r[1], ref);
    }
  }

  private static void printJson(List<double[]> results) {
    StringBuilder sb = new StringBuilder("{\"epochs\":[");
    for (int i = 0; i < results.size(); i++) {
      double[] r = results.get(i);
      sb.append(i == 0 ? "" : ",")
          .append(
              String.format(
                  Locale.ROOT,
                  "{\"epoch\":%d,\"accuracy\":%.4f,\"avgLoss\":%.6f}",
                  (int) r[0],
                  r[1],
                  r[2]));
    }
    System.out.println(sb.append("]}"));
  }
}
