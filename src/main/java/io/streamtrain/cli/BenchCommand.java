package io.streamtrain.cli;

import io.streamtrain.bench.ForkedJvm;
import io.streamtrain.bench.LiveBenchmark;
import io.streamtrain.bench.PredictionBenchmark;
import io.streamtrain.bench.PredictionResult;
import io.streamtrain.bench.TrainingBenchmark;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Training throughput, side by side in one process with the same model, batch size, thread"
          + " settings and data: (a) a plain in-memory DJL loop over the decoded dataset, (b) the"
          + " full pipeline (replay -> Kafka -> MiniBatcher -> Trainer) on an embedded broker,"
          + " timed between two runs of (a) and compared with both."
          + " Prints images/s of both and their ratio, steps/s, snapshot size and publish time,"
          + " and the trainer's resident memory after each epoch."
    },
    footer = {
      "",
      "Examples:",
      "  streamtrain bench                     # one epoch of Fashion-MNIST",
      "  streamtrain bench --epochs 5 --json",
      "  streamtrain bench --feed --epochs 2 --json           # the pipeline's own cost per image",
      "  streamtrain bench --predict --rate 500 --duration 30     # serving latency, training idle",
      "  streamtrain bench --predict --find-max --train           # top rate with p99 < 50 ms",
      "  streamtrain bench --predict --rate 500 --event-rate 1000 # idle, then learning live",
      "  streamtrain bench --live --event-rate 1000 --duration 30  # freshness of live learning",
      "  streamtrain bench --predict --rate 5000 --instances 2"
    })
final class BenchCommand implements Callable<Integer> {
  @Mixin TrainingOptions trainingOptions;
  @Mixin DatasetOptions dataset;

  @Option(names = "--epochs", description = "Epochs per side (default 1).")
  int epochs = 1;

  @Option(
      names = "--warmup-epochs",
      paramLabel = "N",
      description =
          "Epochs the pipeline trains before its clock starts (default ${DEFAULT-VALUE}), as the"
              + " in-memory side has its warm-up steps.")
  int warmUpEpochs = 3;

  @Option(
      names = "--fork",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "Run in a child JVM whose heap is fixed and touched up front (--heap), as JMH forks its"
              + " benchmarks; --no-fork runs in this JVM, with the options it was started with"
              + " (default: fork; --predict always runs in this JVM).")
  boolean fork;

  @Option(
      names = "--heap",
      paramLabel = "SIZE",
      description =
          "Heap of the forked JVM: -Xms and -Xmx, with -XX:+AlwaysPreTouch (default"
              + " ${DEFAULT-VALUE}).")
  String heap = "2g";

  @Spec CommandSpec spec;

  @Option(
      names = "--predict",
      description =
          "Prediction serving instead: an open-loop load on images.infer, produce-to-prediction"
              + " latency percentiles (HdrHistogram), throughput, lost and duplicated requests.")
  boolean predict;

  @Mixin PredictionBenchFlags predictFlags;

  @Option(
      names = "--live",
      description =
          "Online learning instead: an open-loop producer of labeled events at --event-rate"
              + " (default 1000/s) for --duration s into images.train, the trainer following, a"
              + " predictor swapping versions; freshness (event produced to a version that learned"
              + " it served) percentiles, lost events, prequential accuracy. With --find-max: the"
              + " highest rate whose p99 stays under --p99-target-ms (default 5000 here).")
  boolean live;

  @Option(
      names = "--replay-epochs",
      description =
          "With --live: the training set goes to images.train first, and a replay of this many"
              + " epochs of it runs alongside the measured events; adds the replay's rates and"
              + " the freshness of the events that fell inside it (default 0: no replay).")
  int replayEpochs;

  @Option(
      names = "--feed",
      description =
          "The feed ceiling: the training benchmark with a near-free model ("
              + TrainingBenchmark.FEED_ARCHITECTURE
              + " unless --architecture or --preset is given), so that what shows is the"
              + " pipeline's own cost; adds feedCeilingImagesPerSecond, its ratio to the in-memory"
              + " loop and the trainer threads' allocated bytes per image (docs/benchmarks.md,"
              + " Feed ceiling).")
  boolean feed;

  @Option(names = "--json", description = "Print the results as JSON on stdout.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    predictFlags.checkEventRate(predict, live);
    if (replayEpochs != 0 && !live) {
      throw new IllegalArgumentException(
          "--replay-epochs goes with --live (freshness while a replay runs, e.g. bench --live"
              + " --event-rate 100 --duration 10 --replay-epochs 3)");
    }
    if (feed && (live || predict)) {
      throw new IllegalArgumentException(
          "--feed measures the training feed: leave out --live and --predict (bench --feed"
              + " --epochs 2)");
    }
    if (live) {
      var results =
          LiveBenchmark.run(
              predictFlags.toLiveOptions(
                  dataset.data,
                  trainingOptions.flags(),
                  spec.commandLine().getParseResult().hasMatchedOption("--p99-target-ms"),
                  replayEpochs),
              System.err);
      for (var r : results) {
        System.out.println(json ? LiveBenchmark.json(r) : LiveBenchmark.line(r));
      }
      return 0;
    }
    if (predict) {
      PredictionResult result =
          PredictionBenchmark.run(
              predictFlags.toOptions(dataset.data, trainingOptions.flags()), System.err);
      System.out.println(json ? result.toJson() : result.toTable());
      return 0;
    }
    TrainingBenchmark.Options options =
        new TrainingBenchmark.Options(
            epochs, warmUpEpochs, dataset.limit, dataset.data, trainingOptions.flags(), feed);
    if (!heap.matches("[1-9][0-9]*[kKmMgG]?")) {
      throw new IllegalArgumentException(
          "--heap takes a size such as 2g or 1536m (got " + heap + ")");
    }
    if (fork && !ForkedJvm.isChild()) {
      // The resident memory after each epoch is then the trainer's, not G1's heap sizing, which
      // can grow the heap during the measured epochs (see README, Benchmarks).
      return ForkedJvm.run(
          Main.class.getName(),
          List.of("-Xms" + heap, "-Xmx" + heap, "-XX:+AlwaysPreTouch"),
          spec.commandLine().getParseResult().originalArgs());
    }
    TrainingBenchmark.run(options).print(System.out, heap, json);
    return 0;
  }
}
