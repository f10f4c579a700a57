package io.streamtrain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import io.streamtrain.kafka.EmbeddedKafkaExtension;
import io.streamtrain.metrics.Monitoring;
import io.streamtrain.model.Learner;
import io.streamtrain.model.ModelSpec;
import io.streamtrain.model.OptimizerConfig;
import io.streamtrain.model.StateDicts;
import io.streamtrain.training.TrainingListener;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /ready} on the metrics port, wired as {@code predict} and {@code train} wire it: the
 * predictor answers 503 until its first model is loaded and served, then 200; the trainer 200 once
 * its stream thread runs.
 */
class ReadinessIT {
  @RegisterExtension static final EmbeddedKafkaExtension kafka = new EmbeddedKafkaExtension();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir Path stateDir;

  @Test
  void shouldTellThePredictorReadyOnlyOnceItServesAModel() throws Exception {
    Pipeline pipeline = TestPipelines.create(kafka.broker(), stateDir, Scenario.FAST_TRAINING);
    try (Monitoring monitoring = Monitoring.start(0, "predictor", pipeline.settings().modelName());
        PredictionRun run = new PredictionRun(pipeline, PredictionRun.Options.defaults())) {
      PredictionService.observe(run, monitoring);
      URI ready = monitoring.uri().resolve("/ready");
      CompletableFuture<PredictionRun> started =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return run.start(Duration.ofSeconds(120));
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  throw new IllegalStateException(e);
                }
              });
      assertEquals(503, status(ready), "no snapshot yet");

      ModelSpec spec = ModelSpec.parse(pipeline.settings().training().architecture());
      try (Learner learner = Learner.create(spec, OptimizerConfig.QUICKSTART, 1, Device.cpu())) {
        pipeline.publishSnapshot(
            StateDicts.snapshot(learner, pipeline.settings().modelName()).build());
      }
      Awaitility.await("predictor ready")
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> status(ready) == 200);
      started.get();
      assertEquals(0, run.modelVersion());
      run.throwIfFailed();
    }
  }

  @Test
  void shouldTellTheTrainerReadyOnceItsStreamThreadRuns() throws Exception {
    Pipeline pipeline = TestPipelines.create(kafka.broker(), stateDir, Scenario.FAST_TRAINING);
    try (Monitoring monitoring = Monitoring.start(0, "trainer", pipeline.settings().modelName());
        TrainingRun run = new TrainingRun(pipeline, true, TrainingListener.NONE)) {
      monitoring.readiness(StreamsReadiness.of(run));
      URI ready = monitoring.uri().resolve("/ready");
      assertEquals(503, status(ready), "not started");
      run.start();
      Awaitility.await("trainer ready")
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> status(ready) == 200);
    }
  }

  private static int status(URI uri) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }
}
