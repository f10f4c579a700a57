package io.streamtrain.cli;

import io.streamtrain.app.Pipeline;
import io.streamtrain.config.Settings;
import io.streamtrain.kafka.Brokers;
import io.streamtrain.report.LearningCurves;
import io.streamtrain.report.MetricLines;
import io.streamtrain.report.MetricsTopicReader;
import io.streamtrain.report.ReportFiles;
import io.streamtrain.report.ReportSummary;
import io.streamtrain.schema.TrainingMetric;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description = {
      "Render a model's learning curves from training.metrics: loss and prequential accuracy per"
          + " step and test accuracy per epoch, next to the PyTorch quickstart's reference points."
          + " Writes learning-curves.png and a self-contained learning-curves.html into the --out"
          + " directory and prints their paths."
    },
    footer = {
      "",
      "Examples:",
      "  streamtrain report                         # ./report/, model fashion-mlp",
      "  streamtrain report --model-name fashion-good --out /tmp/good --json",
      "  streamtrain report --dump metrics.jsonl    # also save the records",
      "  streamtrain report --from metrics.jsonl    # offline: no Kafka needed"
    })
final class ReportCommand implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "Directory for learning-curves.png and .html (default: report).")
  Path out = Path.of("report");

  @Option(
      names = "--from",
      paramLabel = "FILE",
      description = "Read metrics from a JSON-lines file (report --dump) instead of Kafka.")
  Path from;

  @Option(
      names = "--dump",
      paramLabel = "FILE",
      description = "Also write the model's metric records read from Kafka as JSON lines.")
  Path dump;

  @Option(names = "--json", description = "Print a summary (per-epoch figures, paths) as JSON.")
  boolean json;

  @Override
  public Integer call() {
    Settings settings = common.settings();
    String model = settings.modelName();
    List<TrainingMetric> metrics;
    Set<String> otherModels = new TreeSet<>();
    String source;
    if (from != null) {
      if (dump != null) {
        throw new IllegalArgumentException("--dump writes what was read from Kafka: drop --from");
      }
      List<TrainingMetric> all = MetricLines.read(from);
      metrics = all.stream().filter(m -> model.equals(m.getModelName())).toList();
      all.forEach(m -> otherModels.add(m.getModelName()));
      otherModels.remove(model);
      source = from.toString();
    } else {
      Brokers.awaitReachable(settings.adminProps(), Duration.ofSeconds(30));
      Pipeline pipeline = new Pipeline(settings);
      MetricsTopicReader.Read read =
          MetricsTopicReader.read(settings.consumerProps(null), pipeline.metrics(), model);
      metrics = read.metrics();
      otherModels.addAll(read.otherModels());
      if (read.undecodable() > 0) {
        System.err.printf(
            "Skipped %d metric records of %s that do not decode%n", read.undecodable(), model);
      }
      source = pipeline.names().trainingMetrics() + " at " + settings.bootstrap();
      if (dump != null) {
        MetricLines.write(metrics, dump);
        System.err.println("Wrote " + metrics.size() + " records to " + dump);
      }
    }
    LearningCurves curves = LearningCurves.from(model, metrics);
    if (curves.isEmpty()) {
      throw new IllegalStateException(
          "No training metrics of model "
              + model
              + " in "
              + source
              + (otherModels.isEmpty()
                  ? ": train it first (streamtrain train or demo)"
                  : " (it holds models "
                      + String.join(", ", otherModels)
                      + "): pass --model-name"));
    }
    System.err.printf(
        "Read %d metric records of %s from %s (%d epochs evaluated, version %d)%n",
        curves.records(), model, source, curves.testEpochs().size(), curves.version());
    ReportFiles.Written written = ReportFiles.write(curves, out);
    if (json) {
      System.out.println(ReportSummary.json(curves, written));
    } else {
      System.out.println(written.png());
      System.out.println(written.html());
    }
    return 0;
  }
}
