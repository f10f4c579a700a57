package io.streamtrain.training;

import io.streamtrain.config.Training;
import io.streamtrain.data.ImageShape;
import io.streamtrain.data.ImageTransforms;
import io.streamtrain.model.Learner;
import io.streamtrain.model.Learners;
import io.streamtrain.model.ModelSpec;
import io.streamtrain.model.OptimizerConfig;

/**
 * A run's training settings parsed once, at start-up, into the objects the trainer, the pipeline
 * and the predictor take: the model spec, the image transforms and the optimizer with its
 * learning-rate schedule. It lives here rather than in {@code config}, the bottom room, because it
 * holds {@code model} and {@code data} types; {@code app} builds it and hands it down.
 *
 * @param settings the numbers and switches the objects were parsed from
 */
public record TrainingSetup(
    Training settings, ModelSpec spec, ImageTransforms transforms, OptimizerConfig optimizer) {

  /** Parses {@code settings}' spec, transforms and optimizer; one line naming a bad one. */
  public static TrainingSetup of(Training settings) {
    return new TrainingSetup(
        settings,
        ModelSpec.parse(settings.architecture()),
        ImageTransforms.parse(settings.transforms()),
        OptimizerConfig.of(settings));
  }

  /** The image shape the model takes (an MLP's from its input features). */
  public ImageShape inputShape() {
    return ImageShape.ofModelInput(spec.inputShape());
  }

  /** The transforms, refused with one line naming both shapes when they cannot feed the model. */
  public ImageTransforms checkedTransforms() {
    transforms.checkFits(inputShape(), settings.architecture());
    return transforms;
  }

  /** A freshly initialised model from the run's seed, on its device, at the first epoch's rate. */
  public Learner newLearner() {
    return Learners.create(spec, optimizer, settings);
  }
}
