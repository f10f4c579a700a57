package io.streamtrain.config;

import java.util.Locale;

/**
 * Training hyperparameters and trainer behaviour, as the command line, the properties file and the
 * environment give them. Built with {@link #builder()}, whose defaults reproduce the PyTorch
 * quickstart: the 784-512-512-10 MLP, SGD lr=1e-3, batch 64, a whole-epoch shuffle, no image
 * transforms. The model spec, transforms and optimizer are parsed into objects once, at start-up
 * ({@code training.TrainingSetup}).
 *
 * @param transforms the image transforms spec ({@code --transforms}, see data.ImageTransforms), ""
 *     for none
 * @param learningRateSchedule {@code --lr} decayed by {@code --lr-decay} each epoch
 * @param snapshotEveryMs milliseconds between timed snapshots ({@code --snapshot-ms}), 0 for none
 */
public record Training(
    String architecture,
    String transforms,
    long seed,
    String device,
    int batchSize,
    int shuffleWindow,
    String optimizer,
    LearningRateSchedule learningRateSchedule,
    double momentum,
    double weightDecay,
    double beta1,
    double beta2,
    int snapshotEverySteps,
    long snapshotEveryMs,
    int metricsEverySteps,
    int maxBadSteps,
    boolean evaluateEachEpoch,
    boolean trainingFirst,
    LiveWindows live) {

  public static final String QUICKSTART_MLP = "mlp:784-512-512-10";

  public Training {
    // The grammars are checked where they are parsed (model.ModelSpec, data.ImageTransforms), once,
    // at start-up.
    transforms = transforms == null ? "" : transforms.trim();
    optimizer = optimizer.trim().toLowerCase(Locale.ROOT);
    device = device.trim().toLowerCase(Locale.ROOT);
    Checks.atLeast("--batch-size", batchSize, 1);
    Checks.require(
        shuffleWindow >= batchSize,
        "--shuffle-window must be at least the batch size "
            + batchSize
            + " (got "
            + shuffleWindow
            + ")");
    Checks.require(
        optimizer.equals("sgd") || optimizer.equals("adam"),
        "--optimizer must be sgd or adam (got " + optimizer + ")");
    Checks.require(
        momentum >= 0 && momentum < 1, "--momentum must be in [0, 1) (got " + momentum + ")");
    Checks.require(weightDecay >= 0, "--weight-decay must be >= 0 (got " + weightDecay + ")");
    Checks.require(
        device.equals("auto") || device.equals("cpu") || device.equals("gpu"),
        "--device must be auto, cpu or gpu (got " + device + ")");
    Checks.require(
        snapshotEverySteps >= 0, "--snapshot-steps must be >= 0 (0 disables step snapshots)");
    Checks.require(snapshotEveryMs >= 0, "--snapshot-ms must be >= 0 (0 disables timed ones)");
    Checks.require(metricsEverySteps >= 1, "--metrics-every must be at least 1");
    Checks.require(maxBadSteps >= 1, "--max-bad-steps must be at least 1");
  }

  /** The learning rate of the first epoch ({@code --lr}). */
  public double learningRate() {
    return learningRateSchedule.initial();
  }

  /** The learning rate's factor per epoch ({@code --lr-decay}). */
  public double lrDecay() {
    return learningRateSchedule.decayPerEpoch();
  }

  /** The quickstart's reference run. */
  public static Training reference() {
    return builder().build();
  }

  /**
   * A preset for a good model rather than the reference curve: same MLP and batch, Adam with lr
   * 1e-3 decayed by 0.6 each epoch. The decay lets Adam settle where it would otherwise oscillate
   * from epoch to epoch; it beat plain Adam and SGD with momentum (docs/benchmarks.md).
   */
  public static Training good() {
    return builder().optimizer("adam", 1e-3, 0, 0).lrDecay(0.6).build();
  }

  /**
   * A small CNN for 28×28 grayscale ({@code cnn:1x28x28-c32-c64-f256-10}: cnn:small's two conv
   * blocks with a 256-wide hidden layer) with the recipe that did best on Fashion-MNIST in 5 epochs
   * through the pipeline (docs/models-and-files.md has the runs): Fashion-MNIST's mean and standard
   * deviation as normalisation, Adam with lr 2e-3 decayed by 0.6 each epoch. Augmentation (crop,
   * flip) lowered the 5-epoch figure, so it is left out.
   */
  public static Training cnn() {
    return builder()
        .optimizer("adam", 2e-3, 0, 0)
        .lrDecay(0.6)
        .model("cnn:1x28x28-c32-c64-f256-10", "normalize:0.2860:0.3530")
        .build();
  }

  /** The quickstart's settings, to change with named steps. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this training's settings. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** This training with another architecture and image transforms. */
  public Training withModel(String newArchitecture, String newTransforms) {
    return toBuilder().model(newArchitecture, newTransforms).build();
  }

  /** This training with another optimizer and learning-rate decay. */
  public Training withOptimizer(String name, double lr, double mom, double wd, double decay) {
    return toBuilder().optimizer(name, lr, mom, wd).lrDecay(decay).build();
  }

  /** Named steps over the settings; unset ones keep the quickstart's values. */
  public static final class Builder {
    private String architecture = QUICKSTART_MLP;
    private String transforms = "";
    private long seed = 42;
    private String device = "auto";
    private int batchSize = 64;
    private int shuffleWindow = 60_000;
    private String optimizer = "sgd";
    private double learningRate = 1e-3;
    private double lrDecay = 1.0;
    private double momentum;
    private double weightDecay;
    private double beta1 = 0.9;
    private double beta2 = 0.999;
    private int snapshotEverySteps = 500;
    private long snapshotEveryMs = 30_000;
    private int metricsEverySteps = 100;
    private int maxBadSteps = 20;
    private boolean evaluateEachEpoch = true;
    private boolean trainingFirst = true;
    private LiveWindows live = LiveWindows.defaults();

    private Builder() {}

    private Builder(Training t) {
      model(t.architecture, t.transforms).seed(t.seed).device(t.device);
      batches(t.batchSize, t.shuffleWindow);
      optimizer(t.optimizer, t.learningRate(), t.momentum, t.weightDecay).lrDecay(t.lrDecay());
      adamBetas(t.beta1, t.beta2);
      snapshots(t.snapshotEverySteps, t.snapshotEveryMs);
      metricsEvery(t.metricsEverySteps).maxBadSteps(t.maxBadSteps);
      evaluateEachEpoch(t.evaluateEachEpoch).trainingFirst(t.trainingFirst).live(t.live);
    }

    /** The model spec ({@code --architecture}) and the image transforms before it. */
    public Builder model(String newArchitecture, String newTransforms) {
      architecture = newArchitecture;
      transforms = newTransforms;
      return this;
    }

    public Builder architecture(String newArchitecture) {
      architecture = newArchitecture;
      return this;
    }

    public Builder transforms(String newTransforms) {
      transforms = newTransforms;
      return this;
    }

    /** Seed of initialisation and shuffling. */
    public Builder seed(long newSeed) {
      seed = newSeed;
      return this;
    }

    /** auto, cpu or gpu. */
    public Builder device(String newDevice) {
      device = newDevice;
      return this;
    }

    /** Mini-batch size and the examples shuffled together. */
    public Builder batches(int newBatchSize, int newShuffleWindow) {
      batchSize = newBatchSize;
      shuffleWindow = newShuffleWindow;
      return this;
    }

    public Builder batchSize(int newBatchSize) {
      batchSize = newBatchSize;
      return this;
    }

    public Builder shuffleWindow(int newShuffleWindow) {
      shuffleWindow = newShuffleWindow;
      return this;
    }

    /** sgd or adam, its learning rate, SGD's momentum and the L2 weight decay. */
    public Builder optimizer(String name, double lr, double newMomentum, double newWeightDecay) {
      optimizer = name;
      learningRate = lr;
      momentum = newMomentum;
      weightDecay = newWeightDecay;
      return this;
    }

    public Builder optimizer(String name) {
      optimizer = name;
      return this;
    }

    public Builder learningRate(double lr) {
      learningRate = lr;
      return this;
    }

    /** The learning rate's factor per epoch: lr x decay^(epoch-1). */
    public Builder lrDecay(double decay) {
      lrDecay = decay;
      return this;
    }

    public Builder momentum(double newMomentum) {
      momentum = newMomentum;
      return this;
    }

    public Builder weightDecay(double newWeightDecay) {
      weightDecay = newWeightDecay;
      return this;
    }

    /** Adam's moment decays ({@code --betas}). */
    public Builder adamBetas(double newBeta1, double newBeta2) {
      beta1 = newBeta1;
      beta2 = newBeta2;
      return this;
    }

    /** A snapshot every {@code steps} steps and every {@code ms} milliseconds; 0 disables. */
    public Builder snapshots(int steps, long ms) {
      snapshotEverySteps = steps;
      snapshotEveryMs = ms;
      return this;
    }

    public Builder snapshotEverySteps(int steps) {
      snapshotEverySteps = steps;
      return this;
    }

    public Builder snapshotEveryMs(long ms) {
      snapshotEveryMs = ms;
      return this;
    }

    /** A prequential metric every {@code steps} steps. */
    public Builder metricsEvery(int steps) {
      metricsEverySteps = steps;
      return this;
    }

    /** Roll back after this many consecutive non-finite steps. */
    public Builder maxBadSteps(int steps) {
      maxBadSteps = steps;
      return this;
    }

    /** Evaluate on the test set at each epoch's end. */
    public Builder evaluateEachEpoch(boolean evaluate) {
      evaluateEachEpoch = evaluate;
      return this;
    }

    /** On Linux, the training thread runs before the process's other threads. */
    public Builder trainingFirst(boolean first) {
      trainingFirst = first;
      return this;
    }

    public Builder live(LiveWindows windows) {
      live = windows;
      return this;
    }

    /**
     * Sets the setting {@code key} (its flag without the dashes, as the properties file and the
     * environment name it) from its text: the one table of the training settings' names.
     *
     * @return false when {@code key} is not a training setting
     */
    boolean set(String key, String text) {
      switch (key) {
        case "architecture" -> architecture = text;
        case "transforms" -> transforms = text;
        case "seed" -> seed = Values.longOf(key, text);
        case "device" -> device = text;
        case "batch-size" -> batchSize = Values.intOf(key, text);
        case "shuffle-window" -> shuffleWindow = Values.intOf(key, text);
        case "optimizer" -> optimizer = text;
        case "lr" -> learningRate = Values.doubleOf(key, text);
        case "lr-decay" -> lrDecay = Values.doubleOf(key, text);
        case "momentum" -> momentum = Values.doubleOf(key, text);
        case "weight-decay" -> weightDecay = Values.doubleOf(key, text);
        case "betas" -> {
          double[] betas = Values.pairOf(key, text);
          adamBetas(betas[0], betas[1]);
        }
        case "snapshot-steps" -> snapshotEverySteps = Values.intOf(key, text);
        case "snapshot-ms" -> snapshotEveryMs = Values.longOf(key, text);
        case "metrics-every" -> metricsEverySteps = Values.intOf(key, text);
        case "max-bad-steps" -> maxBadSteps = Values.intOf(key, text);
        case "evaluate-each-epoch" -> evaluateEachEpoch = Values.booleanOf(key, text);
        case "training-first" -> trainingFirst = Values.booleanOf(key, text);
        case "live-window" ->
            live =
                new LiveWindows(
                    Values.intOf(key, text), live.maxWaitMs(), live.minSnapshotIntervalMs());
        case "live-wait-ms" ->
            live =
                new LiveWindows(live.size(), Values.intOf(key, text), live.minSnapshotIntervalMs());
        case "live-snapshot-ms" ->
            live = new LiveWindows(live.size(), live.maxWaitMs(), Values.intOf(key, text));
        default -> {
          return false;
        }
      }
      return true;
    }

    public Training build() {
      return new Training(
          architecture,
          transforms,
          seed,
          device,
          batchSize,
          shuffleWindow,
          optimizer,
          new LearningRateSchedule(learningRate, lrDecay),
          momentum,
          weightDecay,
          beta1,
          beta2,
          snapshotEverySteps,
          snapshotEveryMs,
          metricsEverySteps,
          maxBadSteps,
          evaluateEachEpoch,
          trainingFirst,
          live);
    }
  }
}
