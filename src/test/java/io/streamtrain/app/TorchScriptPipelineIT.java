package io.streamtrain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamtrain.kafka.EmbeddedKafkaExtension;
import io.streamtrain.model.ModelSpec;
import io.streamtrain.model.StateDictFiles;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.NamedTensor;
import io.streamtrain.schema.Prediction;
import io.streamtrain.snapshots.SnapshotMetrics;
import io.streamtrain.testing.TorchScripts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's scripted CNN with BatchNorm and Dropout through the whole loop on a real broker: replay
 * two epochs, train, snapshot under the module's own names (buffers included), serve the snapshot
 * to a fresh predictor, and export a .pth that PyTorch loads into the user's class (strict=True).
 * Skipped where /usr/bin/python3 cannot import torch.
 */
class TorchScriptPipelineIT {
  @RegisterExtension static final EmbeddedKafkaExtension broker = new EmbeddedKafkaExtension();
  @TempDir static Path dir;
  @TempDir Path stateDir;
  private static Path module;

  @BeforeAll
  static void scriptTheCnn() throws Exception {
    TorchScripts.assumeTorch();
    module = TorchScripts.make(dir, "cnn_bn");
  }

  @Test
  void shouldTrainServeAndExportAScriptedModuleUnderItsOwnNames() throws Exception {
    Pipeline pipeline =
        TestPipelines.create(
            broker.broker(),
            stateDir,
            Map.of(
                "preset", "good",
                "architecture", "torchscript:" + module,
                "shuffle-window", "512",
                "snapshot-every", "10",
                "metrics-every", "8"));
    ModelSpec spec = ModelSpec.parse(pipeline.settings().training().architecture());
    TestPipelines.publish(
        pipeline, pipeline.names().imagesTrain(), TestPipelines.images("train", 1024, 1));
    TestPipelines.publish(
        pipeline, pipeline.names().imagesTest(), TestPipelines.images("test", 256, 2));

    QuickstartPrinter printer = new QuickstartPrinter(System.err, 1024);
    try (TrainingRun run = new TrainingRun(pipeline, true, printer).start()) {
      pipeline.replayer().replay(2);
      run.awaitEpoch(printer, 2);
    }

    ModelSnapshot snapshot = pipeline.latestSnapshot().orElseThrow();
    assertEquals(spec.toString(), snapshot.getArchitecture(), "named by the module's SHA-256");
    assertTrue(snapshot.getArchitecture().matches("torchscript:[0-9a-f]{64}@1x28x28"));
    assertEquals(
        spec.parameterNames(), snapshot.getTensors().stream().map(NamedTensor::getName).toList());
    assertTrue(spec.parameterNames().contains("features.1.running_var"));
    // 2 epochs x 1024 images / 64 per batch, each a BatchNorm update in train mode.
    long steps = SnapshotMetrics.stepsApplied(snapshot);
    assertEquals(32, steps);

    try (PredictionRun predictor =
        new PredictionRun(
                pipeline, new PredictionRun.Options(64, Duration.ofMillis(5), false, "-ts"))
            .start(Duration.ofSeconds(60))) {
      assertEquals(snapshot.getVersion(), predictor.modelVersion());
      List<LabeledImage> requests = TestPipelines.images("req", 100, 3);
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
            predictions.put(p.getId(), p);
          }
        }
      }
      assertEquals(100, predictions.size());
      long right =
          predictions.values().stream().filter(p -> p.getLabel() == p.getTrueLabel()).count();
      assertTrue(right >= 90, "correct predictions in eval mode: " + right);
    }

    Path pth = dir.resolve("cnn_bn-trained.pth");
    StateDictFiles.save(snapshot, pth);
    String out = TorchScripts.run(dir, "state", "cnn_bn", pth.toString());
    JsonNode buffers =
        new ObjectMapper().readTree(out.strip().lines().reduce((a, b) -> b).orElseThrow());
    assertEquals((double) steps, buffers.get("features.5.num_batches_tracked").asDouble(), out);
  }
}
