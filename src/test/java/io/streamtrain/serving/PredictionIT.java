package io.streamtrain.serving;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.app.Pipeline;
import io.streamtrain.app.PredictionRun;
import io.streamtrain.config.Settings;
import io.streamtrain.config.SettingsLoader;
import io.streamtrain.kafka.EmbeddedKafkaExtension;
import io.streamtrain.kafka.TopicCatalog;
import io.streamtrain.registry.MockSchemaRegistry;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.Prediction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The prediction application on the embedded broker: requests in, predictions out keyed as the
 * requests, newer snapshots served while running, instances sharing the request partitions. The
 * models are {@link VersionedModels}, so each prediction's label shows which version computed it.
 */
class PredictionIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  @RegisterExtension static final EmbeddedKafkaExtension kafka = new EmbeddedKafkaExtension();

  private final String scope = "prediction-it-" + UUID.randomUUID();
  private final List<PredictionRun> runs = new ArrayList<>();
  @TempDir Path stateDir;
  private Pipeline pipeline;
  private KafkaConsumer<byte[], byte[]> predictions;

  @AfterEach
  void stopAll() {
    runs.forEach(PredictionRun::close);
    if (predictions != null) {
      predictions.close();
    }
    MockSchemaRegistry.dropScope(scope);
  }

  /** Fresh topics (a UUID prefix) and a pipeline whose model is the 2x2 versioned MLP. */
  private void topics() throws Exception {
    Map<String, String> flags = new HashMap<>();
    flags.put("bootstrap", kafka.bootstrap());
    flags.put("registry", MockSchemaRegistry.URL_PREFIX + scope);
    flags.put("topic-prefix", "it-" + UUID.randomUUID() + ".");
    flags.put("state-dir", stateDir.toString());
    flags.put("model-name", "m");
    flags.put("architecture", VersionedModels.ARCHITECTURE);
    flags.put("device", "cpu");
    Settings settings = SettingsLoader.load(null, Map.of(), flags);
    pipeline = new Pipeline(settings);
    try (Admin admin = Admin.create(settings.adminProps())) {
      TopicCatalog.create(admin, pipeline.names());
    }
    predictions = new KafkaConsumer<>(settings.consumerProps(null));
    List<TopicPartition> partitions = new ArrayList<>();
    predictions
        .partitionsFor(pipeline.names().predictions(), TIMEOUT)
        .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
    predictions.assign(partitions);
    predictions.seekToBeginning(partitions);
  }

  private void publishSnapshot(long version) throws Exception {
    String topic = pipeline.names().modelSnapshots();
    ModelSnapshot snapshot = VersionedModels.snapshot("m", version);
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(pipeline.settings().producerProps())) {
      producer
          .send(
              new ProducerRecord<>(
                  topic,
                  "m".getBytes(StandardCharsets.UTF_8),
                  pipeline.serde(ModelSnapshot.class).serializer().serialize(topic, snapshot)))
          .get(30, TimeUnit.SECONDS);
    }
  }

  private void sendRequests(String prefix, int count) throws Exception {
    String topic = pipeline.names().imagesInfer();
    var serializer = pipeline.serde(LabeledImage.class).serializer();
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(pipeline.settings().producerProps())) {
      for (int i = 0; i < count; i++) {
        String id = prefix + i;
        producer.send(
            new ProducerRecord<>(
                topic,
                id.getBytes(StandardCharsets.UTF_8),
                serializer.serialize(topic, VersionedModels.request(id))));
      }
      producer.flush();
    }
  }

  /** Polls predictions until {@code count} arrived (bounded), keyed by request id. */
  private Map<String, List<Prediction>> awaitPredictions(int count) {
    Deserializer<Prediction> deserializer = pipeline.serde(Prediction.class).deserializer();
    Map<String, List<Prediction>> byKey = new HashMap<>();
    int[] seen = {0};
    await()
        .atMost(TIMEOUT)
        .pollInterval(Duration.ofMillis(10))
        .until(
            () -> {
              for (ConsumerRecord<byte[], byte[]> r : predictions.poll(Duration.ofMillis(100))) {
                Prediction p = deserializer.deserialize(r.topic(), r.value());
                byKey
                    .computeIfAbsent(
                        new String(r.key(), StandardCharsets.UTF_8), k -> new ArrayList<>())
                    .add(p);
                seen[0]++;
              }
              runs.forEach(PredictionRun::throwIfFailed);
              return seen[0] >= count;
            });
    return byKey;
  }

  private PredictionRun start(String name, boolean exactlyOnce) throws Exception {
    PredictionRun run =
        new PredictionRun(
            pipeline, new PredictionRun.Options(64, Duration.ofMillis(5), exactlyOnce, name));
    runs.add(run);
    return run.start(TIMEOUT);
  }

  @Test
  void shouldAnswerKeyedAsRequestsAndServeANewerSnapshotPublishedWhileRunning() throws Exception {
    topics();
    publishSnapshot(1);
    PredictionRun run = start("a", false);

    sendRequests("first-", 20);
    Map<String, List<Prediction>> first = awaitPredictions(20);

    assertEquals(20, first.size(), "one prediction per request id");
    for (int i = 0; i < 20; i++) {
      List<Prediction> answers = first.get("first-" + i);
      assertEquals(1, answers.size(), "keyed as the request: first-" + i);
      Prediction p = answers.get(0);
      assertEquals("first-" + i, p.getId());
      assertEquals(1L, p.getModelVersion());
      assertEquals(1, p.getLabel(), "the version-1 model answered");
      assertEquals(10, p.getProbabilities().size());
    }

    publishSnapshot(2);
    await().atMost(TIMEOUT).until(() -> run.newestLoadedVersion() == 2);
    sendRequests("second-", 20);
    Map<String, List<Prediction>> second = awaitPredictions(20);

    for (int i = 0; i < 20; i++) {
      Prediction p = second.get("second-" + i).get(0);
      assertEquals(2L, p.getModelVersion(), "the newer snapshot serves without a restart");
      assertEquals(2, p.getLabel(), "and it is version 2 that computed the answer");
    }
    assertEquals(2, run.modelSwaps());
  }

  @Test
  void shouldShareTheRequestPartitionsBetweenTwoInstancesAnsweringEachRequestOnce()
      throws Exception {
    topics();
    publishSnapshot(3);
    PredictionRun a = start("a", false);
    PredictionRun b = start("b", false);
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                a.streams().state() == KafkaStreams.State.RUNNING
                    && b.streams().state() == KafkaStreams.State.RUNNING
                    && a.assignedPartitions() > 0
                    && b.assignedPartitions() > 0
                    && a.assignedPartitions() + b.assignedPartitions()
                        == TopicCatalog.DEFAULT_INFER_PARTITIONS);

    sendRequests("r-", 400);
    Map<String, List<Prediction>> answers = awaitPredictions(400);

    assertEquals(400, answers.size());
    answers.forEach((id, list) -> assertEquals(1, list.size(), id + " answered once"));
    assertTrue(a.stats().requests() > 0 && b.stats().requests() > 0, "both instances served");
    assertEquals(400, a.stats().requests() + b.stats().requests());
    answers.values().forEach(list -> assertEquals(3L, list.get(0).getModelVersion()));
  }

  @Test
  void shouldAnswerUnderExactlyOnceForReadCommittedConsumers() throws Exception {
    topics();
    publishSnapshot(4);
    start("eos", true);

    sendRequests("tx-", 30);
    Map<String, List<Prediction>> answers = awaitPredictions(30);

    assertEquals(30, answers.size());
    answers.values().forEach(list -> assertEquals(4, list.get(0).getLabel()));
  }
}
