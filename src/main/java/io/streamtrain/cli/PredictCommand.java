package io.streamtrain.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streamtrain.app.ImagePrediction;
import io.streamtrain.app.PredictionRun;
import io.streamtrain.app.PredictionService;
import io.streamtrain.config.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Locale;
import java.util.concurrent.Callable;
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
  @Mixin RecordOptions records;

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

  @Mixin MetricsOptions metrics;

  @Override
  public Integer call() throws Exception {
    if (maxBatch < 1 || maxWaitMs < 0) {
      throw new IllegalArgumentException("--max-batch must be >= 1 and --max-wait-ms >= 0");
    }
    boolean exactlyOnce = PredictionRun.Options.exactlyOnce(guarantee);
    PredictionRun.preferOneTorchThread();
    Settings settings = common.settings(records.with(Collections.singletonMap("device", device)));
    if (image != null) {
      printPrediction(ImagePrediction.of(image, snapshot, settings));
      return 0;
    }
    PredictionService.serve(
        settings,
        new PredictionRun.Options(
            maxBatch,
            Duration.ofMillis(maxWaitMs),
            exactlyOnce,
            // Instances on one machine must not share a Streams state directory.
            "pid" + ProcessHandle.current().pid()),
        metrics.metricsPort);
    return 0;
  }

  private void printPrediction(ImagePrediction p) {
    if (json) {
      // Class names come from the data (folder names): quotes and backslashes must be escaped.
      ObjectNode line = new ObjectMapper().createObjectNode();
      line.put("label", p.label());
      line.put("className", p.className());
      line.put("probability", p.probability());
      line.put("modelVersion", p.modelVersion());
      System.out.println(line);
    } else {
      System.out.printf(
          Locale.ROOT,
          "Predicted: \"%s\" (p=%.3f, model version %d)%n",
          p.className(),
          p.probability(),
          p.modelVersion());
    }
  }
}
