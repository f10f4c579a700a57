package io.streamtrain.app;

import io.streamtrain.config.Settings;
import io.streamtrain.data.FashionMnist;
import io.streamtrain.data.ImageTensors;
import io.streamtrain.data.LabeledImages;
import io.streamtrain.kafka.Brokers;
import io.streamtrain.model.Devices;
import io.streamtrain.model.InferenceModel;
import io.streamtrain.model.StateDictFiles;
import io.streamtrain.model.StateDicts;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.serving.Predictor;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One image predicted offline ({@code predict --image}), by a saved state dict or by the newest
 * snapshot of the model on Kafka.
 *
 * @param label the predicted class
 * @param className its name, or the label as text when the model has more classes than names
 * @param probability the predicted class's probability
 * @param modelVersion the version of the snapshot that predicted
 */
public record ImagePrediction(int label, String className, float probability, long modelVersion) {
  /**
   * @param snapshotFile a saved state dict ({@code demo --save}), or null for the newest snapshot
   *     on the snapshots topic
   */
  public static ImagePrediction of(Path image, Path snapshotFile, Settings settings) {
    LabeledImage request = LabeledImages.fromFile(image);
    ModelSnapshot model;
    if (snapshotFile != null) {
      model = StateDictFiles.load(snapshotFile);
    } else {
      Brokers.awaitReachable(settings.adminProps(), Duration.ofSeconds(30));
      model =
          new Pipeline(settings)
              .latestSnapshot()
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "No snapshot of "
                              + settings.modelName()
                              + " on the snapshots topic: train first or pass --snapshot FILE"));
    }
    try (InferenceModel inference =
        StateDicts.toInferenceModel(model, Devices.select(settings.training().device()))) {
      float[] x = ImageTensors.toTensor(request);
      float[] p = inference.probabilities(x, 1)[0];
      int best = Predictor.argmax(p);
      String name =
          best < FashionMnist.CLASS_NAMES.size()
              ? FashionMnist.CLASS_NAMES.get(best)
              : String.valueOf(best);
      return new ImagePrediction(best, name, p[best], model.getVersion());
    }
  }
}
