package io.streamtrain.app;

import io.streamtrain.config.Settings;
import io.streamtrain.model.ModelSpec;
import io.streamtrain.model.StateDictFiles;
import io.streamtrain.schema.ModelSnapshot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * {@code train --init-from FILE}: a model trained elsewhere (a PyTorch {@code .pth} or {@code
 * .safetensors} state dict, or streamtrain's own file) becomes the model's newest snapshot, so that
 * the trainer resumes from it and keeps learning online. Its version continues after the newest on
 * the topic, so versions never go down.
 */
public final class InitialModel {
  private InitialModel() {}

  /**
   * Checks {@code file} against the configured architecture (one line naming the first mismatched
   * key and both shapes) and publishes it as the model's newest snapshot.
   */
  public static ModelSnapshot publish(Pipeline pipeline, Path file) {
    Settings settings = pipeline.settings();
    ModelSnapshot loaded =
        StateDictFiles.load(file, ModelSpec.parse(settings.training().architecture()));
    long version = pipeline.latestSnapshot().map(s -> s.getVersion() + 1).orElse(0L);
    ModelSnapshot initial =
        ModelSnapshot.newBuilder(loaded)
            .setModelName(settings.modelName())
            .setVersion(version)
            .setEpoch(0)
            .setEpochComplete(false)
            .setWindowIndex(-1)
            .setBatchesApplied(0)
            .setSeed(settings.training().seed())
            .setCreatedAt(Instant.now())
            .build();
    String topic = pipeline.names().modelSnapshots();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(settings.producerProps())) {
      producer
          .send(
              new ProducerRecord<>(
                  topic,
                  settings.modelName().getBytes(StandardCharsets.UTF_8),
                  pipeline.serde(ModelSnapshot.class).serializer().serialize(topic, initial)))
          .get();
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "Cannot publish " + file + " to " + topic + ": " + e.getCause().getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while publishing " + file, e);
    }
    return initial;
  }
}
