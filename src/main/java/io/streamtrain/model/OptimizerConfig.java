package io.streamtrain.model;

import io.streamtrain.config.LearningRateSchedule;
import io.streamtrain.config.Training;
import java.util.Locale;

/**
 * Optimizer hyperparameters with PyTorch's semantics ({@code torch.optim.SGD} and {@code
 * torch.optim.Adam}; weight decay is L2 added to the gradient in both).
 *
 * @param kind sgd or adam
 * @param schedule the step size of each epoch (quickstart: 1e-3 throughout)
 * @param momentum SGD momentum; 0 is plain SGD
 * @param weightDecay L2 coefficient added to the gradient (g + wd * w)
 * @param beta1 Adam's first-moment decay (PyTorch default 0.9)
 * @param beta2 Adam's second-moment decay (PyTorch default 0.999)
 * @param epsilon Adam's denominator term (PyTorch default 1e-8)
 */
public record OptimizerConfig(
    Kind kind,
    LearningRateSchedule schedule,
    double momentum,
    double weightDecay,
    double beta1,
    double beta2,
    double epsilon) {

  /** The optimizers we implement. */
  public enum Kind {
    SGD,
    ADAM;

    /** Parses {@code --optimizer sgd|adam}. */
    public static Kind parse(String text) {
      try {
        return valueOf(text.trim().toUpperCase(Locale.ROOT));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            "unknown optimizer '" + text + "'; use --optimizer sgd or --optimizer adam", e);
      }
    }
  }

  /** The quickstart's optimizer: plain SGD, lr 1e-3. */
  public static final OptimizerConfig QUICKSTART = sgd(1e-3, 0, 0);

  public OptimizerConfig {
    if (kind == null) {
      throw new IllegalArgumentException("optimizer kind is missing; use sgd or adam");
    }
    if (schedule == null) {
      throw new IllegalArgumentException("learning-rate schedule is missing");
    }
    check(momentum >= 0 && momentum < 1, "--momentum must be in [0, 1)", momentum);
    check(
        weightDecay >= 0 && Double.isFinite(weightDecay),
        "--weight-decay must be >= 0",
        weightDecay);
    check(beta1 >= 0 && beta1 < 1, "Adam beta1 must be in [0, 1)", beta1);
    check(beta2 >= 0 && beta2 < 1, "Adam beta2 must be in [0, 1)", beta2);
    check(epsilon > 0, "Adam epsilon must be > 0", epsilon);
  }

  /** SGD with momentum and weight decay, PyTorch semantics (no dampening, no Nesterov). */
  public static OptimizerConfig sgd(double learningRate, double momentum, double weightDecay) {
    return new OptimizerConfig(
        Kind.SGD,
        LearningRateSchedule.constant(learningRate),
        momentum,
        weightDecay,
        0.9,
        0.999,
        1e-8);
  }

  /** Adam with PyTorch's defaults (betas 0.9/0.999, eps 1e-8) and L2 weight decay. */
  public static OptimizerConfig adam(double learningRate, double weightDecay) {
    return new OptimizerConfig(
        Kind.ADAM, LearningRateSchedule.constant(learningRate), 0, weightDecay, 0.9, 0.999, 1e-8);
  }

  /** Builds from the CLI flags {@code --optimizer --lr --momentum --weight-decay}. */
  public static OptimizerConfig of(
      String optimizer, double learningRate, double momentum, double weightDecay) {
    return of(Training.builder().optimizer(optimizer, learningRate, momentum, weightDecay).build());
  }

  /** The optimizer of a run's settings, with its learning-rate schedule: parsed once. */
  public static OptimizerConfig of(Training training) {
    Kind kind = Kind.parse(training.optimizer());
    if (kind == Kind.ADAM && training.momentum() != 0) {
      throw new IllegalArgumentException(
          "--momentum applies to --optimizer sgd only; Adam uses --betas (default 0.9,0.999)");
    }
    double beta1 = training.beta1();
    double beta2 = training.beta2();
    if (kind == Kind.SGD && (beta1 != 0.9 || beta2 != 0.999)) {
      throw new IllegalArgumentException(
          "--betas applies to --optimizer adam only; SGD uses --momentum");
    }
    return new OptimizerConfig(
        kind,
        training.learningRateSchedule(),
        training.momentum(),
        training.weightDecay(),
        beta1,
        beta2,
        1e-8);
  }

  /** The learning rate of the first epoch ({@code --lr}). */
  public double learningRate() {
    return schedule.initial();
  }

  ParameterOptimizer create() {
    return kind == Kind.SGD ? new SgdOptimizer(this) : new AdamOptimizer(this);
  }

  private static void check(boolean ok, String what, double value) {
    if (!ok) {
      throw new IllegalArgumentException(what + ", got " + value);
    }
  }
}
