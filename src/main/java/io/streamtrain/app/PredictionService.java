package io.streamtrain.app;

import io.streamtrain.config.Settings;
import io.streamtrain.kafka.Brokers;
import io.streamtrain.metrics.Monitoring;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The prediction application as {@code predict} runs it: a {@link PredictionRun} on a broker that
 * must be reachable, serving until the process is stopped, with optional Prometheus metrics.
 */
public final class PredictionService {
  private PredictionService() {}

  /**
   * Serves until SIGTERM/Ctrl-C; returns then, or throws when the prediction run fails.
   *
   * @param metricsPort serve metrics on this port (0: any free port), null for none
   */
  public static void serve(Settings settings, PredictionRun.Options options, Integer metricsPort)
      throws InterruptedException {
    Brokers.awaitReachable(settings.adminProps(), Duration.ofSeconds(30));
    Pipeline pipeline = new Pipeline(settings);
    PredictionRun run = new PredictionRun(pipeline, options);
    Monitoring monitoring =
        metricsPort == null
            ? null
            : Monitoring.start(metricsPort, "predictor", settings.modelName());
    if (monitoring != null) {
      observe(run, monitoring);
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
      stopped.await(1, TimeUnit.SECONDS);
    }
  }

  /**
   * The predictor's meters and {@code /ready}: ready once its Streams app runs with a model loaded
   * (warmed before it serves), so 503 until the first snapshot.
   */
  static void observe(PredictionRun run, Monitoring monitoring) {
    var meters = monitoring.predictionMetrics(run::modelVersion);
    run.stats().observeWith(meters::record);
    run.observeSwaps((version, atMillis, live) -> meters.swapped(atMillis, live));
    monitoring.readiness(StreamsReadiness.of(run));
  }
}
