package io.streamtrain.bench;

import io.streamtrain.app.Pipeline;
import io.streamtrain.app.PredictionRun;
import io.streamtrain.registry.MockSchemaRegistry;
import io.streamtrain.registry.RegistryServer;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * {@code bench --predict --cold-starts N}: the first load a new predictor meets. The broker, the
 * registry and the load generator have served the warm measurement before, as a running cluster and
 * its clients have; only the predictor is new. Each of N predictors is started in a JVM of its own
 * ({@code streamtrain predict}, as a user starts one), and the load of the warm measurement ({@code
 * --rate} for {@code --duration}) is sent the moment its {@code /ready} turns 200. The trials are
 * phase {@value #PHASE}, beside the warm predictor's {@code idle} trial.
 */
final class ColdStarts {
  static final String PHASE = "fresh";
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

  static final String MODEL_ONLY = "fresh-model-only";

  private ColdStarts() {}

  /**
   * One predictor started afresh and the load sent once it is ready; phase {@value #MODEL_ONLY}
   * warms only the model's forward passes, as predictors did before the request path was warmed.
   */
  private static Trial coldStart(
      int i,
      PredictionOptions options,
      List<String> args,
      String phase,
      LoadGenerator load,
      PrintStream err)
      throws Exception {
    List<String> jvm =
        phase.equals(MODEL_ONLY)
            ? List.of("-D" + PredictionRun.WARMUP_REQUESTS_PROPERTY + "=0")
            : List.of();
    long started = System.nanoTime();
    try (ForkedPredictor predictor = ForkedPredictor.start(jvm, args)) {
      predictor.awaitReady(READY_TIMEOUT);
      err.printf(
          Locale.ROOT,
          "Fresh predictor %d/%d (%s) ready %.1f s after its start: %s%n",
          i,
          options.coldStarts(),
          phase,
          (System.nanoTime() - started) / 1e9,
          predictor.warmUpReport());
      load.servedBy(predictor);
      return load.trial(phase, options.rate(), options.duration());
    }
  }

  static void measure(
      PredictionOptions options,
      Pipeline pipeline,
      LoadGenerator load,
      List<Trial> trials,
      PrintStream err)
      throws Exception {
    String scope =
        pipeline.settings().registryUrl().substring(MockSchemaRegistry.URL_PREFIX.length());
    // The forked predictors reach the benchmark's mock:// registry through its REST endpoint.
    try (RegistryServer registry =
        RegistryServer.start(0, MockSchemaRegistry.forScope(scope).store())) {
      List<String> args =
          List.of(
              "--bootstrap",
              pipeline.settings().bootstrap(),
              "--registry",
              registry.url(),
              "--model-name",
              pipeline.settings().modelName(),
              "--max-batch",
              String.valueOf(options.maxBatch()),
              "--max-wait-ms",
              String.valueOf(options.maxWait().toMillis()),
              "--guarantee",
              options.exactlyOnce() ? "exactly_once" : "at_least_once");
      for (int i = 1; i <= options.coldStarts(); i++) {
        // Alternated, so that a machine getting busier or quieter weighs on both alike.
        trials.add(coldStart(i, options, args, MODEL_ONLY, load, err));
        trials.add(coldStart(i, options, args, PHASE, load, err));
      }
    }
  }
}
