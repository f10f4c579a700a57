package io.streamtrain.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streamtrain.metrics.ConsumerGroupLag;
import io.streamtrain.metrics.Monitoring;
import io.streamtrain.metrics.PredictionMetrics;
import io.streamtrain.metrics.TrainingListener;
import io.streamtrain.metrics.TrainingMetricsListener;
import io.streamtrain.model.Evaluation;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.snapshots.SnapshotMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The provisioned Grafana dashboard shows the figures the issue names (freshness, prequential
 * accuracy, loss, throughput, consumer lag, dead letters, served version), and every series it
 * queries is one the trainer or predictor really exports: checked against a scrape of the real
 * meters, so a renamed meter breaks this test rather than a panel.
 */
class GrafanaDashboardTest {
  private static final Path DASHBOARD = Path.of("deploy/grafana/dashboards/streamtrain.json");
  private static final Pattern SERIES = Pattern.compile("streamtrain_[a-z_]+");

  @Test
  void shouldQueryOnlySeriesTheTrainerAndPredictorExport() throws IOException {
    Set<String> queried = new TreeSet<>();
    for (String expr : expressions()) {
      Matcher m = SERIES.matcher(expr);
      while (m.find()) {
        queried.add(m.group());
      }
    }
    Set<String> exported = exportedSeries();
    Set<String> missing = new TreeSet<>(queried);
    missing.removeAll(exported);
    assertTrue(missing.isEmpty(), "the dashboard queries series nobody exports: " + missing);
    for (String needed :
        List.of(
            "streamtrain_model_freshness_seconds_bucket",
            "streamtrain_model_served_age_seconds",
            "streamtrain_training_prequential_accuracy",
            "streamtrain_training_prequential_loss",
            "streamtrain_training_images_total",
            "streamtrain_consumer_lag_total_records",
            "streamtrain_dead_letters_total",
            "streamtrain_prediction_model_version")) {
      assertTrue(queried.contains(needed), "no panel shows " + needed);
    }
  }

  @Test
  void shouldBeProvisionedFromTheComposeFilesPrometheusDatasource() throws IOException {
    JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
    assertEquals("streamtrain", dashboard.get("uid").asText());
    for (JsonNode panel : dashboard.get("panels")) {
      assertEquals("prometheus", panel.get("datasource").get("uid").asText(), panel.toString());
    }
    String datasource =
        Files.readString(Path.of("deploy/grafana/provisioning/datasources/prometheus.yml"));
    assertTrue(datasource.contains("uid: prometheus"), datasource);
    assertTrue(datasource.contains("url: http://prometheus:9090"), datasource);
    String prometheus = Files.readString(Path.of("deploy/prometheus/prometheus.yml"));
    assertTrue(prometheus.contains("trainer:9404") && prometheus.contains("predictor:9404"));
  }

  private static List<String> expressions() throws IOException {
    JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
    List<String> out = new java.util.ArrayList<>();
    for (JsonNode panel : dashboard.get("panels")) {
      for (JsonNode target : panel.get("targets")) {
        out.add(target.get("expr").asText());
      }
    }
    return out;
  }

  /** Series names a scrape of the real trainer and predictor meters shows, every one exercised. */
  private static Set<String> exportedSeries() {
    PrometheusMeterRegistry registry = Monitoring.newRegistry("test", "fashion-mlp");
    TrainingMetricsListener training = new TrainingMetricsListener(registry, TrainingListener.NONE);
    training.onStart(null);
    training.onBatchProgress(1, 64, 2.3);
    training.onEpochEnd(1, new Evaluation(0.6, 1.1, 6_000, 10_000, 157), null);
    training.onSnapshot(
        ModelSnapshot.newBuilder()
            .setModelName("fashion-mlp")
            .setVersion(1)
            .setEpoch(1)
            .setCreatedAt(java.time.Instant.EPOCH)
            .setArchitecture("mlp:4-2")
            .setTensors(List.of())
            .setSha256("")
            .setMetrics(java.util.Map.of("deadLetters.label-missing", 1.0))
            .build(),
        1_000);
    PredictionMetrics prediction = new PredictionMetrics(registry, () -> 1);
    prediction.record(1_000_000, 4);
    prediction.swapped(2_000, new SnapshotMetrics.NewLiveEvents(1_000, 1_500));
    Properties admin = new Properties();
    admin.put("bootstrap.servers", "localhost:1");
    try (ConsumerGroupLag lag = new ConsumerGroupLag(admin, "g", Duration.ofHours(1))) {
      lag.bindTo(registry);
      Set<String> names = new HashSet<>();
      for (String line : registry.scrape().split("\n")) {
        Matcher m = SERIES.matcher(line);
        if (!line.startsWith("#") && m.lookingAt()) {
          names.add(m.group());
        }
      }
      return names;
    }
  }
}
