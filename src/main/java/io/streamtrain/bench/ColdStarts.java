package io.streamtrain.bench;

import io.streamtrain.app.Pipeline;
import io.streamtrain.registry.MockSchemaRegistry;
import io.streamtrain.registry.RegistryServer;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;

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

  private ColdStarts() {}

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
        long started = System.nanoTime();
        try (ForkedPredictor predictor = ForkedPredictor.start(args)) {
          predictor.awaitReady(READY_TIMEOUT);
          err.printf(
              "Fresh predictor %d/%d ready %.1f s after its start%n",
              i, options.coldStarts(), (System.nanoTime() - started) / 1e9);
          load.servedBy(predictor);
          trials.add(load.trial(PHASE, options.rate(), options.duration()));
        }
      }
    }
  }
}
