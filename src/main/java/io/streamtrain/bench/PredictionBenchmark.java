package io.streamtrain.bench;

import ai.djl.Device;
import io.streamtrain.app.LocalCluster;
import io.streamtrain.app.Pipeline;
import io.streamtrain.app.PredictionRun;
import io.streamtrain.config.Settings;
import io.streamtrain.model.Learner;
import io.streamtrain.model.ModelSpec;
import io.streamtrain.model.OptimizerConfig;
import io.streamtrain.model.StateDicts;
import io.streamtrain.schema.ModelSnapshot;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code bench --predict}: prediction latency and throughput measured end to end in one process.
 *
 * <p>Set-up: an embedded broker, a {@code mock://} registry, the topics (images.infer with {@code
 * --partitions}, 4 by default), and a first snapshot of the model ({@code --architecture}, the
 * quickstart MLP by default) freshly initialised from the seed (version 0: serving cost does not
 * depend on the weights, so no training is needed before measuring). Then {@code --instances}
 * prediction instances sharing the application id (each its own Streams app, snapshot follower and
 * model, as separate processes would be).
 *
 * <p>Load: an open-loop generator sends Fashion-MNIST test images (or generated 28x28 images when
 * the dataset is not found) as {@code images.infer} requests at a fixed rate on a schedule: request
 * i is due at {@code start + i/rate} and its latency is measured from that due time, so a stalled
 * send or a slow answer is charged to the requests behind it (no coordinated omission). A consumer
 * of {@code predictions} records due-time-to-arrival latency in an HdrHistogram (microseconds) and
 * counts every request id, so a lost or duplicated prediction is seen.
 *
 * <p>{@code --find-max} searches the highest rate whose p99 stays under {@code --p99-target-ms}
 * with nothing lost: doubling until a rate fails, then bisecting to 10 %. {@code --train} measures
 * the same again with a real trainer running in the process (the TrainingRun of {@code train} on a
 * replayed Fashion-MNIST subset, snapshotting every 100 steps so the predictors also hot-swap
 * during the measurement), and prints idle and training figures side by side. {@code --event-rate}
 * does the same with a trainer learning live instead (see {@link LiveTraining}): the "live" phase,
 * with the live side's achieved rate, lost events, freshness and the swaps during the measurement.
 * {@code --cold-starts N} then measures the same load on N predictors started afresh in JVMs of
 * their own (see {@link ColdStarts}).
 */
public final class PredictionBenchmark {
  private static final String MODEL_NAME = "fashion-mlp";
  static final String LIVE_PHASE = "live";

  private PredictionBenchmark() {}

  /** Runs the benchmark described by {@code options}; progress goes to {@code err}. */
  public static PredictionResult run(PredictionOptions options, PrintStream err) throws Exception {
    PredictionRun.preferOneTorchThread();
    try (LocalCluster cluster =
        LocalCluster.start("bench-predict", settingsFlags(options), options.partitions())) {
      Settings settings = cluster.settings();
      Pipeline pipeline = cluster.pipeline();
      publishInitialSnapshot(settings, pipeline);
      Requests requests = Requests.load(options.dataDir(), pipeline, err);
      err.printf(
          "Embedded Kafka on %s; %d request partitions; requests: %s%n",
          cluster.broker().bootstrap(), options.partitions(), requests.source());
      try (PredictionInstances instances = PredictionInstances.start(pipeline, options);
          PredictionRecorder recorder = new PredictionRecorder(pipeline);
          LoadGenerator load =
              new LoadGenerator(pipeline, requests, options, instances, recorder, err)) {
        instances.awaitAssigned(options.partitions(), Duration.ofSeconds(60), err);
        recorder.start();
        RateSearch search = new RateSearch(options, load, err);
        List<Trial> trials = new ArrayList<>();
        Map<String, Trial> best = new HashMap<>();
        search.phase("idle", trials, best);
        if (options.coldStarts() > 0) {
          instances.close(); // the fresh predictors take the request partitions
          ColdStarts.measure(options, pipeline, load, trials, err);
        }
        if (options.train()) {
          try (BackgroundTrainer trainer =
              BackgroundTrainer.start(settings, pipeline, options, err)) {
            search.phase("training", trials, best);
            trainer.throwIfFailed();
          }
        }
        LiveTraining.Side live = null;
        if (options.live()) {
          try (LiveTraining trainer = LiveTraining.start(pipeline, options, instances, err)) {
            search.phase(LIVE_PHASE, trials, best);
            boolean covered = trainer.producing();
            trainer.throwIfFailed();
            live = trainer.finish(load, options.rate(), trials.get(trials.size() - 1), covered);
          }
        }
        return new PredictionResult(
            options,
            trials,
            best,
            Runtime.getRuntime().availableProcessors(),
            requests.source(),
            settings.training().architecture()
                + " freshly initialised (seed "
                + settings.training().seed()
                + ", snapshot version 0)"
                + (options.train() || options.live()
                    ? "; then the trainer's snapshots are hot-swapped in"
                    : ""),
            live);
      }
    }
  }

  private static Map<String, String> settingsFlags(PredictionOptions options) {
    Map<String, String> flags = new HashMap<>(options.modelFlags());
    if (options.live()) {
      flags.putAll(options.liveFlags());
      flags.put("metrics-every", "10"); // as bench --live: prequential accuracy of live windows
    }
    flags.put("model-name", MODEL_NAME);
    flags.put("device", "cpu");
    // With --train: batches of 64 from small shuffle windows, a snapshot every 100 steps (several
    // hot swaps per minute), no test evaluation.
    flags.put("shuffle-window", "1024");
    flags.put("snapshot-steps", "100");
    flags.put("evaluate-each-epoch", "false");
    // Serving shares this process with the trainer: predictions must not yield to training steps.
    flags.put("training-first", "false");
    return flags;
  }

  /** A freshly initialised quickstart MLP as version 0, so the predictors have a model to serve. */
  private static void publishInitialSnapshot(Settings settings, Pipeline pipeline) {
    ModelSpec spec = pipeline.trainingSetup().spec();
    ModelSnapshot snapshot;
    try (Learner learner =
        Learner.create(
            spec, OptimizerConfig.QUICKSTART, settings.training().seed(), Device.cpu())) {
      snapshot =
          StateDicts.snapshot(learner, settings.modelName())
              .transforms(pipeline.transforms().spec())
              .build();
    }
    pipeline.publishSnapshot(snapshot);
  }
}
