package io.streamtrain.app;

import io.streamtrain.config.Settings;
import io.streamtrain.data.ImageSources;
import io.streamtrain.data.Split;
import io.streamtrain.model.Devices;
import io.streamtrain.model.Evaluation;
import io.streamtrain.model.InferenceModel;
import io.streamtrain.model.StateDictFiles;
import io.streamtrain.model.StateDicts;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.ModelSnapshot;
import java.nio.file.Path;

/**
 * {@code evaluate --snapshot FILE --data PATH}: a saved model on a local test set, without Kafka,
 * as the quickstart's {@code test(test_dataloader, model)} does (batches of 64, accuracy and the
 * mean of the per-batch losses). Each image goes through the model's own transforms, as {@code
 * predict --image} prepares it (a .pth has none: ToTensor only).
 */
public final class OfflineEvaluation {
  /** The quickstart's test batch size. */
  public static final int BATCH = 64;

  private OfflineEvaluation() {}

  /** The model evaluated and how it did. */
  public record Result(ModelSnapshot model, Evaluation evaluation) {}

  /**
   * @param data Fashion-MNIST's IDX directory (its test split is read), an ImageFolder tree or one
   *     image file
   */
  public static Result run(Path snapshotFile, Path data, Settings settings) {
    return run(StateDictFiles.load(snapshotFile), data, settings);
  }

  /** {@code model} (e.g. the newest snapshot on Kafka) on the local test set {@code data}. */
  public static Result run(ModelSnapshot model, Path data, Settings settings) {
    ImageSources.Source source = ImageSources.open(data, Split.TEST, null);
    if (source.count() == 0) {
      throw new IllegalArgumentException("--data " + data + " holds no test images");
    }
    try (InferenceModel inference =
        StateDicts.toInferenceModel(model, Devices.select(settings.training().device()))) {
      int features = inference.spec().inputFeatures();
      float[] pixels = new float[source.count() * features];
      int[] labels = new int[source.count()];
      int n = 0;
      while (source.images().hasNext()) {
        LabeledImage image = source.images().next();
        if (image.getLabel() == null) {
          throw new IllegalArgumentException(
              "--data " + data + ": image " + image.getId() + " has no label to evaluate against");
        }
        if (image.getLabel() >= inference.spec().numClasses()) {
          throw new IllegalArgumentException(
              "--data "
                  + data
                  + ": image "
                  + image.getId()
                  + " has label "
                  + image.getLabel()
                  + " but the model has "
                  + inference.spec().numClasses()
                  + " classes");
        }
        float[] x = ImagePrediction.input(image, inference, settings);
        System.arraycopy(x, 0, pixels, n * features, features);
        labels[n++] = image.getLabel();
      }
      return new Result(model, inference.evaluate(pixels, labels, n, BATCH));
    }
  }
}
