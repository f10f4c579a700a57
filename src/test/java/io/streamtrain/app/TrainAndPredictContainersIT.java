package io.streamtrain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.containers.ContainerEngine;
import io.streamtrain.containers.ProjectImage;
import io.streamtrain.containers.StreamtrainContainer;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.Prediction;
import io.streamtrain.snapshots.SnapshotMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

/**
 * The train-and-predict scenario with every streamtrain process in a container of the project's own
 * image: the broker (`streamtrain broker`: a real Apache Kafka KRaft node plus the registry
 * endpoint), the trainer and the predictor. The host produces, replays and reads the predictions.
 * The containers share the host's network and listen on 127.0.0.1, each on a free port. Skipped,
 * with the reason, where no container engine answers (deploy/local-images.sh sets one up).
 */
@EnabledIf(
    value = "io.streamtrain.containers.ContainerEngine#available",
    disabledReason = ContainerEngine.MISSING)
class TrainAndPredictContainersIT {
  private static StreamtrainContainer broker;
  private static String bootstrap;
  private static String registry;

  @TempDir Path stateDir;

  @BeforeAll
  static void startBroker() {
    ProjectImage.build();
    int kafkaPort = StreamtrainContainer.freePort();
    int registryPort = StreamtrainContainer.freePort();
    broker =
        StreamtrainContainer.await(
            new StreamtrainContainer("broker")
                .withCommand(
                    "broker",
                    "--port",
                    String.valueOf(kafkaPort),
                    "--registry-port",
                    String.valueOf(registryPort),
                    "--no-topics"),
            ".*Ready\\. Ctrl-C to stop.*");
    bootstrap = "localhost:" + kafkaPort;
    registry = "http://127.0.0.1:" + registryPort;
  }

  @AfterAll
  static void stopBroker() {
    if (broker != null) {
      broker.stop();
    }
  }

  @Test
  void shouldTrainInAContainerAndServePredictionsFromAnother() throws Exception {
    Map<String, String> training = TrainAndPredictIT.TRAINING;
    Pipeline pipeline = TestPipelines.create(bootstrap, registry, stateDir, training);
    var names = pipeline.names();
    TestPipelines.publish(pipeline, names.imagesTrain(), TestPipelines.images("train", 2048, 1));
    TestPipelines.publish(pipeline, names.imagesTest(), TestPipelines.images("test", 256, 2));

    List<String> common =
        List.of(
            "--bootstrap",
            bootstrap,
            "--registry",
            registry,
            "--topic-prefix",
            pipeline.settings().topicPrefix());
    List<String> train = new ArrayList<>(List.of("train", "--follow"));
    train.addAll(common);
    training.forEach((flag, value) -> train.addAll(List.of("--" + flag, value)));
    train.addAll(List.of("--metrics-port", String.valueOf(StreamtrainContainer.freePort())));
    try (StreamtrainContainer trainer = new StreamtrainContainer("trainer")) {
      trainer.withCommand(train.toArray(String[]::new)).start();
      pipeline.replayer().replay(2);
      // 2 epochs x 2048 images / 64 per batch.
      ModelSnapshot snapshot =
          Awaitility.await("the trainer's snapshot of epoch 2")
              .atMost(Duration.ofMinutes(5))
              .pollInterval(Duration.ofSeconds(1))
              .until(
                  () -> {
                    trainer.assertRunning();
                    return pipeline.latestSnapshot().orElse(null);
                  },
                  s ->
                      s != null
                          && s.getVersion() >= 64
                          && s.getEpochComplete()
                          && s.getEpoch() == 2);
      assertEquals(64, SnapshotMetrics.stepsApplied(snapshot));
      // Each epoch's marker seals an empty window after the last full one: a version of its own.
      assertEquals(66, snapshot.getVersion());
    }

    List<String> predict = new ArrayList<>(List.of("predict"));
    predict.addAll(common);
    predict.addAll(List.of("--metrics-port", String.valueOf(StreamtrainContainer.freePort())));
    try (StreamtrainContainer predictor =
        StreamtrainContainer.await(
            new StreamtrainContainer("predictor").withCommand(predict.toArray(String[]::new)),
            ".*Serving .* version 66.*")) {
      TestPipelines.publish(pipeline, names.imagesInfer(), TestPipelines.images("req", 100, 3));
      List<Prediction> predictions = new ArrayList<>();
      try (KafkaConsumer<byte[], byte[]> consumer =
          TestPipelines.fromBeginning(pipeline, names.predictions())) {
        Awaitility.await("100 predictions on the host")
            .atMost(Duration.ofMinutes(2))
            .pollInterval(Duration.ZERO)
            .until(
                () -> {
                  predictor.assertRunning();
                  for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    predictions.add(
                        pipeline
                            .serde(Prediction.class)
                            .deserializer()
                            .deserialize(r.topic(), r.value()));
                  }
                  return predictions.size() >= 100;
                });
      }
      assertEquals(100, predictions.size());
      assertTrue(predictions.stream().allMatch(p -> p.getModelVersion() == 66));
      long right = predictions.stream().filter(p -> p.getLabel() == p.getTrueLabel()).count();
      assertTrue(right >= 90, "correct predictions: " + right);
    }
  }
}
