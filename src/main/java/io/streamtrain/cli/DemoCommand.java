package io.streamtrain.cli;

import io.streamtrain.app.LiveDemo;
import io.streamtrain.app.Pipeline;
import io.streamtrain.app.Progress;
import io.streamtrain.app.QuickstartPrinter;
import io.streamtrain.app.TrainingRun;
import io.streamtrain.config.Directories;
import io.streamtrain.config.Settings;
import io.streamtrain.data.DatasetLocator;
import io.streamtrain.data.FashionMnist;
import io.streamtrain.data.ImageTensors;
import io.streamtrain.data.LabeledDataset;
import io.streamtrain.data.LabeledImages;
import io.streamtrain.data.Split;
import io.streamtrain.kafka.EmbeddedKafka;
import io.streamtrain.kafka.Publisher;
import io.streamtrain.kafka.Replayer;
import io.streamtrain.kafka.TopicCatalog;
import io.streamtrain.model.Devices;
import io.streamtrain.model.InferenceModel;
import io.streamtrain.model.StateDicts;
import io.streamtrain.report.LearningCurves;
import io.streamtrain.report.MetricsTopicReader;
import io.streamtrain.report.ReportFiles;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.serving.Predictor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
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
  static final double[] REFERENCE_ACCURACY = {37.5, 51.5, 60.1, 62.9, 64.6};

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
              Duration.ofSeconds(durationSeconds),
              Duration.ofSeconds(2),
              Optional.ofNullable(data),
              report,
              trainingOptions.flags()),
          System.out,
          System.err);
      return 0;
    }
    if (epochs < 1) {
      throw new IllegalArgumentException("--epochs must be at least 1 (got " + epochs + ")");
    }
    Path dir = DatasetLocator.standard().locate(Optional.ofNullable(data)).dir();
    LabeledDataset train = FashionMnist.load(dir, Split.TRAIN);
    LabeledDataset test = FashionMnist.load(dir, Split.TEST);
    int trainCount = limit == null ? train.count() : Math.min(limit, train.count());
    Path stateDir = Files.createTempDirectory("streamtrain-demo-state");
    try (EmbeddedKafka broker = EmbeddedKafka.start(0, null)) {
      Map<String, String> flags = new HashMap<>(trainingOptions.flags());
      flags.put("bootstrap", broker.bootstrap());
      flags.put("registry", "mock://demo-" + UUID.randomUUID());
      flags.put("state-dir", stateDir.toString());
      Settings settings = io.streamtrain.config.SettingsLoader.load(null, Map.of(), flags);
      Pipeline pipeline = new Pipeline(settings);
      System.err.printf(
          "Embedded Kafka on %s, registry %s, device %s%n",
          broker.bootstrap(), settings.registryUrl(), Devices.select(settings.training().device()));
      try (Admin admin = Admin.create(settings.adminProps())) {
        TopicCatalog.create(admin, pipeline.names());
      }
      publish(settings, pipeline, pipeline.names().imagesTrain(), train, trainCount);
      publish(settings, pipeline, pipeline.names().imagesTest(), test, test.count());

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
      if (report != null) {
        ReportFiles.Written written =
            ReportFiles.write(
                LearningCurves.from(
                    settings.modelName(),
                    MetricsTopicReader.read(
                            settings.consumerProps(null), pipeline.metrics(), settings.modelName())
                        .metrics()),
                report);
        System.err.println("Learning curves: " + written.png() + " and " + written.html());
      }
      ModelSnapshot finalSnapshot =
          pipeline
              .latestSnapshot()
              .orElseThrow(() -> new IllegalStateException("no snapshot on model.snapshots"));
      StateDicts.save(finalSnapshot, save);
      System.out.println("Saved PyTorch Model State to " + save);
      predictFirstTestImage(save, test, settings);
      if (json) {
        printJson(printer.results());
      }
      printComparison(printer.results());
    } finally {
      Directories.deleteQuietly(stateDir);
    }
    return 0;
  }

  private static void publish(
      Settings settings, Pipeline pipeline, String topic, LabeledDataset dataset, int count) {
    Progress progress = new Progress(System.err, "produce " + topic, count);
    Publisher.Summary summary =
        Publisher.publish(
            settings,
            topic,
            pipeline.serde(LabeledImage.class).serializer(),
            IntStream.range(0, count)
                .mapToObj(i -> LabeledImages.fromDataset(dataset, i))
                .iterator(),
            progress::update);
    System.err.printf(
        Locale.ROOT,
        "Produced %,d images to %s in %.2f s, %,.0f images/s%n",
        summary.count(),
        topic,
        summary.seconds(),
        summary.perSecond());
  }

  private static void predictFirstTestImage(Path file, LabeledDataset test, Settings settings) {
    ModelSnapshot loaded = StateDicts.load(file);
    try (InferenceModel model =
        StateDicts.toInferenceModel(loaded, Devices.select(settings.training().device()))) {
      LabeledImage first = LabeledImages.fromDataset(test, 0);
      float[] x = ImageTensors.toTensor(first);
      float[] p = model.probabilities(x, 1)[0];
      int best = Predictor.argmax(p);
      System.out.printf(
          "Predicted: \"%s\", Actual: \"%s\"%n",
          FashionMnist.CLASS_NAMES.get(best), FashionMnist.CLASS_NAMES.get(first.getLabel()));
    }
  }

  private static void printComparison(List<double[]> results) {
    System.err.println("epoch  streamtrain  quickstart reference");
    for (double[] r : results) {
      int epoch = (int) r[0];
      String ref =
          epoch >= 1 && epoch <= REFERENCE_ACCURACY.length
              ? String.format(Locale.ROOT, "%.1f%%", REFERENCE_ACCURACY[epoch - 1])
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
