package io.streamtrain.metrics;

import static io.streamtrain.metrics.Scrapes.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.MockClock;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.streamtrain.model.Evaluation;
import io.streamtrain.schema.MetricKind;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.NamedTensor;
import io.streamtrain.schema.TrainingMetric;
import io.streamtrain.snapshots.SnapshotMetrics;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MetricsServerTest {
  private final MockClock clock = new MockClock();
  private PrometheusMeterRegistry registry;
  private MetricsServer server;

  @BeforeEach
  void start() {
    registry =
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT, new PrometheusRegistry(), clock);
    registry.config().commonTags("application", "trainer", "model", "fashion-mlp");
    server = MetricsServer.start(0, registry);
  }

  @AfterEach
  void stop() {
    server.close();
    registry.close();
  }

  @Test
  void shouldServeTheTrainersFiguresOverHttp() {
    List<String> passedOn = new ArrayList<>();
    TrainingMetricsListener listener = new TrainingMetricsListener(registry, recording(passedOn));

    listener.onStart(null);
    listener.onBatchProgress(1, 64, 2.30);
    clock.add(2, TimeUnit.SECONDS);
    listener.onBatchProgress(1, 6_464, 2.10);
    clock.add(40, TimeUnit.SECONDS);
    listener.onSnapshot(snapshot(500, clock.wallTime() - 12_000), 3_000_000);
    listener.onMetric(prequential(1.5, 0.7, 6_400));
    listener.onMetric(prequential(1.4, 0.72, 6_400));
    listener.onEpochEnd(1, new Evaluation(0.646, 1.1077, 6_460, 10_000, 157), null);
    HttpResponse<String> response = Scrapes.get(server.uri(), null);

    assertEquals(200, response.statusCode());
    assertEquals(MetricsServer.TEXT, response.headers().firstValue("Content-Type").orElseThrow());
    Map<String, Double> s = Scrapes.samples(response.body());
    String model = "model=\"fashion-mlp\"";
    assertEquals(2.10, value(s, "streamtrain_training_batch_loss", model), 1e-12);
    assertEquals(3_200, value(s, "streamtrain_training_images_per_second"), 1e-9);
    assertEquals(50, value(s, "streamtrain_training_steps_per_second"), 1e-9);
    assertEquals(1.4, value(s, "streamtrain_training_prequential_loss"), 1e-12);
    assertEquals(0.72, value(s, "streamtrain_training_prequential_accuracy"), 1e-12);
    assertEquals(12_800, value(s, "streamtrain_training_images_total"), 1e-9);
    assertEquals(0.646, value(s, "streamtrain_training_test_accuracy"), 1e-12);
    assertEquals(1.1077, value(s, "streamtrain_training_test_loss"), 1e-12);
    assertEquals(1, value(s, "streamtrain_training_epoch"), 0);
    assertEquals(500, value(s, "streamtrain_snapshot_version"), 0);
    assertEquals(12, value(s, "streamtrain_snapshot_age_seconds"), 1e-9);
    assertEquals(4 * 100, value(s, "streamtrain_snapshot_size_bytes"), 0);
    assertEquals(1, value(s, "streamtrain_snapshots_total"), 0);
    assertEquals(0.003, value(s, "streamtrain_snapshot_encode_seconds_sum"), 1e-12);
    assertEquals(3, value(s, "streamtrain_dead_letters_total", "kind=\"label-out-of-range\""), 0);
    assertEquals(1, value(s, "streamtrain_dead_letters_total", "kind=\"bad-shape\""), 0);
    assertEquals(2, value(s, "streamtrain_training_bad_steps_total"), 0);
    assertEquals(1, value(s, "streamtrain_training_rollbacks_total"), 0);
    assertEquals(List.of("start", "progress", "progress", "snapshot", "epoch"), passedOn);

    clock.add(30, TimeUnit.SECONDS);
    Map<String, Double> later = Scrapes.samples(Scrapes.get(server.uri(), null).body());
    assertEquals(42, value(later, "streamtrain_snapshot_age_seconds"), 1e-9);
  }

  @Test
  void shouldServeAPredictionLatencyHistogramAndTheServedVersion() {
    AtomicLong version = new AtomicLong(500);
    PredictionMetrics metrics = new PredictionMetrics(registry, version::get);

    metrics.record(2_000_000, 8);
    metrics.record(40_000_000, 2);
    version.set(1_000);
    Map<String, Double> s = Scrapes.samples(Scrapes.get(server.uri(), null).body());

    assertEquals(10, value(s, "streamtrain_predictions_total"), 0);
    assertEquals(2, value(s, "streamtrain_prediction_latency_seconds_count"), 0);
    assertEquals(0.042, value(s, "streamtrain_prediction_latency_seconds_sum"), 1e-12);
    assertEquals(1_000, value(s, "streamtrain_prediction_model_version"), 0);
    assertEquals(10, value(s, "streamtrain_prediction_batch_size_sum"), 0);
    long buckets =
        s.keySet().stream()
            .filter(k -> k.startsWith("streamtrain_prediction_latency_seconds_bucket{"))
            .count();
    assertTrue(buckets > 10, "expected a percentile histogram, got " + buckets + " buckets");
    assertEquals(2, value(s, "streamtrain_prediction_latency_seconds_bucket", "le=\"+Inf\""), 0);
    assertEquals(
        1, value(s, "streamtrain_prediction_latency_seconds_bucket", "le=\"0.002446676\""), 0);
  }

  @Test
  void shouldServeTheFreshnessOfLiveLearningAndTheServedModelsAge() {
    PredictionMetrics metrics = new PredictionMetrics(registry, () -> 7);
    Map<String, Double> before = Scrapes.samples(Scrapes.get(server.uri(), null).body());
    assertTrue(Double.isNaN(value(before, "streamtrain_model_served_age_seconds")), "no live yet");

    metrics.swapped(10_000, new SnapshotMetrics.NewLiveEvents(9_200, 9_900));
    metrics.swapped(11_000, null); // a version that learned nothing live is not counted
    metrics.swapped(12_000, new SnapshotMetrics.NewLiveEvents(10_500, 11_700));
    clock.add(12_500 - clock.wallTime(), TimeUnit.MILLISECONDS);
    Map<String, Double> s = Scrapes.samples(Scrapes.get(server.uri(), null).body());

    assertEquals(2, value(s, "streamtrain_model_freshness_seconds_count"), 0);
    assertEquals(0.8 + 1.5, value(s, "streamtrain_model_freshness_seconds_sum"), 1e-9);
    assertEquals(0.8, value(s, "streamtrain_model_served_age_seconds"), 1e-9);
  }

  @Test
  void shouldAnswerOpenMetricsWhenAskedForIt() {
    registry.counter("streamtrain.test.things").increment();

    HttpResponse<String> response =
        Scrapes.get(server.uri(), "application/openmetrics-text;version=1.0.0,text/plain;q=0.5");

    assertEquals(
        MetricsServer.OPENMETRICS, response.headers().firstValue("Content-Type").orElseThrow());
    assertTrue(response.body().strip().endsWith("# EOF"), response.body());
    assertTrue(response.body().contains("streamtrain_test_things_total"));
  }

  @Test
  void shouldAnswerNotFoundOutsideMetricsAndRefuseOtherMethods() throws Exception {
    assertEquals(404, Scrapes.get(server.uri().resolve("/"), null).statusCode());
    var post =
        java.net.http.HttpRequest.newBuilder(server.uri())
            .POST(java.net.http.HttpRequest.BodyPublishers.ofString("x"))
            .build();
    var response =
        java.net.http.HttpClient.newHttpClient()
            .send(post, java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(405, response.statusCode());
  }

  @Test
  void shouldAnswerReadyOnlyWhileTheApplicationSaysSo() throws Exception {
    java.net.URI ready = server.uri().resolve(MetricsServer.READY_PATH);
    assertEquals(503, Scrapes.get(ready, null).statusCode(), "not ready before told");
    java.util.concurrent.atomic.AtomicBoolean state =
        new java.util.concurrent.atomic.AtomicBoolean();
    server.readiness(state::get);
    assertEquals(503, Scrapes.get(ready, null).statusCode());
    state.set(true);
    HttpResponse<String> response = Scrapes.get(ready, null);
    assertEquals(200, response.statusCode());
    assertEquals("ready\n", response.body());
    server.readiness(
        () -> {
          throw new IllegalStateException("streams closed");
        });
    assertEquals(503, Scrapes.get(ready, null).statusCode(), "a failing check is not ready");
    assertEquals(200, Scrapes.get(server.uri(), null).statusCode(), "metrics still served");
  }

  @Test
  void shouldSayWhichPortIsTakenInOneLine() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class, () -> MetricsServer.start(server.port(), registry));

    assertTrue(
        e.getMessage().startsWith("Cannot serve metrics on port " + server.port()), e.getMessage());
    assertTrue(e.getMessage().endsWith("pick a free --metrics-port, or 0 for any"));
    assertTrue(!e.getMessage().contains("\n"));
  }

  private static TrainingListener recording(List<String> calls) {
    return new TrainingListener() {
      @Override
      public void onStart(ModelSnapshot snapshot) {
        calls.add("start");
      }

      @Override
      public void onBatchProgress(int epoch, long examplesInEpoch, double loss) {
        calls.add("progress");
      }

      @Override
      public void onSnapshot(ModelSnapshot snapshot, long encodeNanos) {
        calls.add("snapshot");
      }

      @Override
      public void onEpochEnd(int epoch, Evaluation evaluation, ModelSnapshot snapshot) {
        calls.add("epoch");
      }
    };
  }

  private static ModelSnapshot snapshot(long version, long createdMillis) {
    NamedTensor weights =
        NamedTensor.newBuilder()
            .setName("0.weight")
            .setShape(List.of(10L, 10L))
            .setDtype("float32")
            .setData(ByteBuffer.allocate(400))
            .build();
    return ModelSnapshot.newBuilder()
        .setModelName("fashion-mlp")
        .setVersion(version)
        .setEpoch(1)
        .setCreatedAt(Instant.ofEpochMilli(createdMillis))
        .setArchitecture("mlp:100-10")
        .setTensors(List.of(weights))
        .setSha256("00")
        .setMetrics(
            Map.of(
                "deadLetters.label-out-of-range", 3.0,
                "deadLetters.bad-shape", 1.0,
                "badSteps", 2.0,
                "rollbacks", 1.0,
                "examplesInEpoch", 6464.0))
        .build();
  }

  private static TrainingMetric prequential(double loss, double accuracy, long count) {
    return TrainingMetric.newBuilder()
        .setModelName("fashion-mlp")
        .setVersion(100)
        .setEpoch(1)
        .setStep(100)
        .setKind(MetricKind.PREQUENTIAL)
        .setLoss(loss)
        .setAccuracy(accuracy)
        .setImagesPerSecond(3000.0)
        .setCount(count)
        .setTime(Instant.ofEpochMilli(0))
        .build();
  }
}
