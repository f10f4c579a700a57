package io.streamtrain.app;

import io.streamtrain.config.Settings;
import io.streamtrain.model.StateDictFiles;
import io.streamtrain.schema.ModelSnapshot;
import java.nio.file.Path;
import java.time.Instant;

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
    ModelSnapshot loaded = StateDictFiles.load(file, pipeline.trainingSetup().spec());
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
            // The state dict says nothing about inputs: it is trained with this run's transforms.
            .setTransforms(pipeline.transforms().spec())
            .setCreatedAt(Instant.now())
            .build();
    pipeline.publishSnapshot(initial);
    return initial;
  }
}
