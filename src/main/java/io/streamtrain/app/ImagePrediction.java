package io.streamtrain.app;

import io.streamtrain.config.Settings;
import io.streamtrain.data.ImageAcceptance;
import io.streamtrain.data.ImageShape;
import io.streamtrain.data.ImageTensors;
import io.streamtrain.data.ImageTransforms;
import io.streamtrain.data.InvalidImageException;
import io.streamtrain.data.LabeledImages;
import io.streamtrain.kafka.Brokers;
import io.streamtrain.model.Devices;
import io.streamtrain.model.InferenceModel;
import io.streamtrain.model.StateDictFiles;
import io.streamtrain.model.StateDicts;
import io.streamtrain.records.ClassNames;
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
 * @param className its name from the model's snapshot, or the label as text when unknown
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
      float[] x = input(request, inference, settings);
      float[] p = inference.probabilities(x, 1)[0];
      int best = Predictor.argmax(p);
      String name = ClassNames.nameOf(inference.classNames(), p.length, best);
      return new ImagePrediction(best, name, p[best], model.getVersion());
    }
  }

  /**
   * The model's input for {@code image}: ToTensor, after the transforms of the model's snapshot
   * (without augmentation) when it has some.
   */
  static float[] input(LabeledImage image, InferenceModel model, Settings settings) {
    ImageTransforms transforms = ImageTransforms.parse(model.transforms());
    ImageShape shape = Pipeline.inputShape(model.spec());
    if (transforms.isEmpty()) {
      float[] x = ImageTensors.toTensor(image);
      if (x.length != model.spec().inputFeatures()) {
        throw new IllegalArgumentException(
            "image "
                + image.getId()
                + " is "
                + new ImageShape(image.getHeight(), image.getWidth(), image.getChannels())
                + " but model "
                + model.spec()
                + " takes "
                + shape
                + ", and its snapshot has no transforms to resize or convert it (a .pth carries"
                + " none: use the .safetensors or streamtrain model file, or the snapshots topic)");
      }
      return x;
    }
    float[] x = new float[shape.size()];
    try {
      ImageTensors.toTransformedTensor(
          image,
          transforms,
          new ImageAcceptance(shape, Integer.MAX_VALUE, false, settings.maxImagePixels()),
          x,
          0);
    } catch (InvalidImageException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return x;
  }
}
