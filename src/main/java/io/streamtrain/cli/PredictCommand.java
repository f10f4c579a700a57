package io.streamtrain.cli;

import io.streamtrain.app.Pipeline;
import io.streamtrain.app.PredictionRun;
import io.streamtrain.config.Settings;
import io.streamtrain.data.FashionMnist;
import io.streamtrain.data.ImageTensors;
import io.streamtrain.data.LabeledImages;
import io.streamtrain.kafka.Brokers;
import io.streamtrain.metrics.Monitoring;
import io.streamtrain.model.Devices;
import io.streamtrain.model.InferenceModel;
import io.streamtrain.model.StateDicts;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.serving.Predictor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "predict",
    mixinStandardHelpOptions = true,
    description = {
      "Run the prediction application (images.infer -> predictions), hot-swapping to each newer"
          + " snapshot, or predict one image offline with --image.",
      "",
      "Requests that are ready together share one forward pass: a batch runs when it holds"
          + " --max-batch requests, when its oldest request waited --max-wait-ms while more kept"
          + " coming, or as soon as Kafka Streams has handed over what it polled, so a lone request"
          + " is answered at once. Start more instances (same --bootstrap, --topic-prefix and"
          + " model name) to share the request partitions; each serves the newest snapshot."
    },
    footer = {
      "",
      "Delivery guarantee (--guarantee):",
      "  at_least_once (default): predictions are visible to consumers as soon as they are",
      "    produced (p50 3-4 ms end to end on 2 cores). After a crash, requests since the last",
      "    offset commit are answered again, so a consumer may see a request id twice. Requests",
      "    gathered into a batch are answered within about 1 ms; only a crash inside that window,",
      "    right after an offset commit, can leave one unanswered (Kafka Streams offers processors",
      "    no hook before a commit). A clean stop or rebalance answers them first.",
      "  exactly_once: predictions and request offsets commit in one Kafka transaction, so a",
      "    read_committed consumer sees each request answered exactly once, but only when the",
      "    transaction commits (every commit.interval.ms, 100 ms by default): that much more",
      "    latency. Each request is answered within its own processing step (a batch never spans",
      "    two records, --max-wait-ms is ignored), so no answer can miss its transaction; expect",
      "    a lower throughput.",
      "",
      "Examples:",
      "  streamtrain predict                                  # serve until Ctrl-C",
      "  streamtrain predict --max-batch 128 --max-wait-ms 2",
      "  streamtrain predict --guarantee exactly_once",
      "  streamtrain predict --image boot.png --snapshot model.params",
      "  streamtrain predict --image boot.png                 # newest snapshot from Kafka"
    })
final class PredictCommand implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Option(names = "--image", paramLabel = "FILE", description = "Predict this PNG/JPEG and exit.")
  Path image;

  @Option(
      names = "--snapshot",
      paramLabel = "FILE",
      description = "With --image: a saved state dict (demo --save) instead of the topic.")
  Path snapshot;

  @Option(names = "--device", description = "auto, cpu or gpu.")
  String device;

  @Option(names = "--max-batch", description = "Most requests in one forward pass (default 64).")
  int maxBatch = 64;

  @Option(
      names = "--max-wait-ms",
      description =
          "Longest a request waits for its batch to fill while more keep arriving (default 5).")
  int maxWaitMs = 5;

  @Option(
      names = "--guarantee",
      description =
          "at_least_once (default: predictions visible as soon as produced; a request may be"
              + " answered twice after a crash) or exactly_once (each answered once, visible at the"
              + " transaction commit). See below.")
  String guarantee = "at_least_once";

  @Option(names = "--json", description = "With --image: print the prediction as JSON.")
  boolean json;

  @Option(
      names = "--metrics-port",
      paramLabel = "PORT",
      description = "Serve Prometheus metrics at http://HOST:PORT/metrics (0: any free port).")
  Integer metricsPort;

  @Override
  public Integer call() throws Exception {
    if (maxBatch < 1 || maxWaitMs < 0) {
      throw new IllegalArgumentException("--max-batch must be >= 1 and --max-wait-ms >= 0");
    }
    boolean exactlyOnce = PredictionRun.Options.exactlyOnce(guarantee);
    PredictionRun.preferOneTorchThread();
    Settings settings = common.settings(java.util.Collections.singletonMap("device", device));
    if (image != null) {
      return predictOne(settings);
    }
    Brokers.awaitReachable(settings.adminProps(), Duration.ofSeconds(30));
    Pipeline pipeline = new Pipeline(settings);
    PredictionRun run =
        new PredictionRun(
            pipeline,
            new PredictionRun.Options(
                maxBatch,
                Duration.ofMillis(maxWaitMs),
                exactlyOnce,
                // Instances on one machine must not share a Streams state directory.
                "pid" + ProcessHandle.current().pid()));
    Monitoring monitoring =
        metricsPort == null
            ? null
            : Monitoring.start(metricsPort, "predictor", settings.modelName());
    if (monitoring != null) {
      var meters = monitoring.predictionMetrics(run::modelVersion);
      run.stats().observeWith(meters::record);
      run.observeSwaps((version, atMillis, live) -> meters.swapped(atMillis, live));
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  run.close();
                  if (monitoring != null) {
                    monitoring.close();
                  }
                  stopped.countDown();
                }));
    System.err.println("Waiting for a snapshot of " + settings.modelName() + " ...");
    run.start(Duration.ofDays(365));
    if (monitoring != null) {
      monitoring.bindStreams(run.streams());
      monitoring.bindConsumerLag(settings.adminProps(), pipeline.predictorApplicationId());
      System.err.println("Metrics at " + monitoring.uri());
    }
    System.err.printf(
        "Serving %s version %d: %s -> %s%n",
        settings.modelName(),
        run.modelVersion(),
        pipeline.names().imagesInfer(),
        pipeline.names().predictions());
    while (stopped.getCount() > 0) {
      run.throwIfFailed();
      stopped.await(1, java.util.concurrent.TimeUnit.SECONDS);
    }
    return 0;
  }

  private int predictOne(Settings settings) {
    LabeledImage request = LabeledImages.fromFile(image);
    ModelSnapshot model;
    if (snapshot != null) {
      model = StateDicts.load(snapshot);
    } else {
      Brokers.awaitReachable(settings.adminProps(), Duration.ofSeconds(30));
      model =
          new Pipeline(settings)
              .latestSnapshot()
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "No snapshot of "
                              + settings.modelName()
                              + " on the snapshots topic: train first or pass --snapshot FILE"));
    }
    try (InferenceModel inference =
        StateDicts.toInferenceModel(model, Devices.select(settings.training().device()))) {
      float[] x = ImageTensors.toTensor(request);
      float[] p = inference.probabilities(x, 1)[0];
      int best = Predictor.argmax(p);
      String name =
          best < FashionMnist.CLASS_NAMES.size()
              ? FashionMnist.CLASS_NAMES.get(best)
              : String.valueOf(best);
      if (json) {
        System.out.printf(
            Locale.ROOT,
            "{\"label\":%d,\"className\":\"%s\",\"probability\":%.6f,\"modelVersion\":%d}%n",
            best,
            name,
            p[best],
            model.getVersion());
      } else {
        System.out.printf(
            Locale.ROOT,
            "Predicted: \"%s\" (p=%.3f, model version %d)%n",
            name,
            p[best],
            model.getVersion());
      }
    }
    return 0;
  }
}
