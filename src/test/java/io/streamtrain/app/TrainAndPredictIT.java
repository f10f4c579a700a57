package io.streamtrain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.kafka.EmbeddedKafkaExtension;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.MetricKind;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.Prediction;
import io.streamtrain.schema.TrainingMetric;
import io.streamtrain.snapshots.SnapshotMetrics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole loop on a real broker: produce, replay two epochs, train, snapshot to the compacted
 * topic, then a fresh predictor picks the snapshot up and answers requests.
 */
class TrainAndPredictIT {
  @RegisterExtension static final EmbeddedKafkaExtension broker = new EmbeddedKafkaExtension();
  @TempDir Path stateDir;

  /** Training settings of the scenario: small windows, frequent snapshots. */
  static final Map<String, String> TRAINING =
      Map.of(
          "preset", "good", "shuffle-window", "512", "snapshot-every", "10", "metrics-every", "8");

  @Test
  void shouldTrainSnapshotAndServeTheSnapshotToAFreshPredictor() throws Exception {
    run(TestPipelines.create(broker.broker(), stateDir, TRAINING));
  }

  /**
   * Produce 2,048 images, replay 2 epochs, train, check the snapshot and metrics, then serve the
   * snapshot to a fresh predictor. Shared with the Testcontainers variant.
   */
  static void run(Pipeline pipeline) throws Exception {
    var settings = pipeline.settings();
    TestPipelines.publish(
        pipeline, pipeline.names().imagesTrain(), TestPipelines.images("train", 2048, 1));
    TestPipelines.publish(
        pipeline, pipeline.names().imagesTest(), TestPipelines.images("test", 256, 2));

    QuickstartPrinter printer = new QuickstartPrinter(System.err, 2048);
    try (TrainingRun run = new TrainingRun(pipeline, true, printer).start()) {
      pipeline.replayer().replay(2);
      run.awaitEpoch(printer, 2);
    }

    // 2 epochs x 2048 images / 64 per batch.
    ModelSnapshot snapshot = pipeline.latestSnapshot().orElseThrow();
    assertEquals(64, SnapshotMetrics.stepsApplied(snapshot));
    // Each epoch's marker seals an empty window after the last full one: a version of its own.
    assertEquals(66, snapshot.getVersion());
    assertTrue(snapshot.getEpochComplete());
    assertEquals(2, snapshot.getEpoch());
    try (Admin admin = Admin.create(settings.adminProps())) {
      ConfigResource topic =
          new ConfigResource(ConfigResource.Type.TOPIC, pipeline.names().modelSnapshots());
      Config config = admin.describeConfigs(List.of(topic)).all().get().get(topic);
      assertEquals("compact", config.get("cleanup.policy").value());
    }

    List<TrainingMetric> metrics =
        TestPipelines.readAll(pipeline, pipeline.names().trainingMetrics()).stream()
            .map(
                r ->
                    pipeline
                        .serde(TrainingMetric.class)
                        .deserializer()
                        .deserialize(pipeline.names().trainingMetrics(), r.value()))
            .toList();
    List<TrainingMetric> prequential =
        metrics.stream().filter(m -> m.getKind() == MetricKind.PREQUENTIAL).toList();
    assertTrue(prequential.size() >= 6, "prequential metrics: " + prequential.size());
    assertTrue(
        prequential.get(prequential.size() - 1).getLoss() < prequential.get(0).getLoss() / 2,
        "the loss falls: "
            + prequential.get(0).getLoss()
            + " -> "
            + prequential.get(prequential.size() - 1).getLoss());
    TrainingMetric test =
        metrics.stream()
            .filter(m -> m.getKind() == MetricKind.TEST_EPOCH && m.getEpoch() == 2)
            .findFirst()
            .orElseThrow();
    assertTrue(test.getAccuracy() > 0.9, "test accuracy " + test.getAccuracy());

    try (PredictionRun predictor =
        new PredictionRun(
                pipeline, new PredictionRun.Options(64, Duration.ofMillis(5), false, "-it"))
            .start(Duration.ofSeconds(60))) {
      assertEquals(snapshot.getVersion(), predictor.modelVersion());
      List<LabeledImage> requests = new ArrayList<>();
      for (LabeledImage image : TestPipelines.images("req", 100, 3)) {
        requests.add(image);
      }
      TestPipelines.publish(pipeline, pipeline.names().imagesInfer(), requests);
      Map<String, Prediction> predictions = new HashMap<>();
      try (KafkaConsumer<byte[], byte[]> consumer =
          TestPipelines.fromBeginning(pipeline, pipeline.names().predictions())) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (predictions.size() < 100 && System.nanoTime() < deadline) {
          predictor.throwIfFailed();
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            Prediction p =
                pipeline.serde(Prediction.class).deserializer().deserialize(r.topic(), r.value());
            assertEquals(
                p.getId(), new String(r.key(), StandardCharsets.UTF_8), "keyed as the request");
            predictions.put(p.getId(), p);
          }
        }
      }
      assertEquals(100, predictions.size());
      Set<Long> versions =
          predictions.values().stream()
              .map(Prediction::getModelVersion)
              .collect(Collectors.toSet());
      assertEquals(Set.of(snapshot.getVersion()), versions);
      long right =
          predictions.values().stream().filter(p -> p.getLabel() == p.getTrueLabel()).count();
      assertTrue(right >= 90, "correct predictions: " + right);
      Prediction any = predictions.values().iterator().next();
      assertEquals(10, any.getProbabilities().size());
      double sum = any.getProbabilities().stream().mapToDouble(Float::doubleValue).sum();
      assertEquals(1.0, sum, 1e-4);
    }
  }
}
