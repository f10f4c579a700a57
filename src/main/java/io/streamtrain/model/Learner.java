package io.streamtrain.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.streamtrain.schema.NamedTensor;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainable model of one trainer: a DJL model on a device, our optimizer and its state, and the
 * global step count (the model version). Each {@link #step} follows DJL's training loop
 * (GradientCollector, forward, loss, backward, optimizer update) with every NDArray of the step in
 * a sub-manager closed at its end, so native memory stays flat over any number of steps.
 *
 * <p>Single-threaded: the trainer is the single writer of a model. DJL's PyTorch gradient collector
 * is process-wide, so two Learners must not step at the same moment on two threads.
 */
public final class Learner implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Learner.class);

  private final ModelSpec spec;
  private final OptimizerConfig optimizerConfig;
  private final Device device;
  private final Engine engine;
  private final Network network;
  private final NDManager stateManager;
  private final ParameterOptimizer optimizer;
  private long steps;
  private long skippedSteps;

  private Learner(ModelSpec spec, OptimizerConfig optimizerConfig, long seed, Device device) {
    this.engine = Torch.engine();
    this.spec = spec;
    this.optimizerConfig = optimizerConfig;
    this.device = device;
    this.network = new Network(spec, device, "learner");
    this.stateManager = network.manager.newSubManager();
    this.optimizer = optimizerConfig.create();
    network.initialize(seed);
  }

  /**
   * A freshly initialised model (PyTorch default init drawn from {@code seed}) with its optimizer.
   * The same seed gives bitwise the same parameters on any device.
   */
  public static Learner create(
      ModelSpec spec, OptimizerConfig optimizer, long seed, Device device) {
    return new Learner(spec, optimizer, seed, device);
  }

  /**
   * One optimizer step on the first {@code n} examples of {@code x} (n*features floats, CHW per
   * example) and {@code labels}. Loss and correct count come from the forward pass before the
   * update. When the loss or any gradient is NaN/Inf the update is skipped (and counted).
   */
  public StepResult step(float[] x, int[] labels, int n) {
    Torch.noGradOnThisThread();
    boolean backwardRan = false;
    try (NDManager scratch = network.manager.newSubManager()) {
      NDArray input = network.input(scratch, x, n);
      NDArray labelColumn = network.labels(scratch, labels, n);
      NDArray logits;
      NDArray loss;
      try (GradientCollector collector = engine.newGradientCollector()) {
        logits = network.logits(input, true);
        loss = Network.meanCrossEntropy(logits, labelColumn);
        backwardRan = true;
        collector.backward(loss);
      }
      float lossValue = loss.getFloat();
      int correct = Network.countCorrect(logits.toFloatArray(), labels, n, spec.numClasses());
      List<NDArray> gradients = new ArrayList<>(network.parameters.size());
      NDArray gradientSum = null;
      for (NDArray parameter : network.parameters) {
        NDArray gradient = parameter.getGradient();
        gradient.attach(scratch);
        gradients.add(gradient);
        NDArray sum = gradient.sum();
        gradientSum = gradientSum == null ? sum : gradientSum.addi(sum);
      }
      // A single sum sees any NaN/Inf (an overflowing sum of finite values also counts as bad).
      boolean finite = Float.isFinite(lossValue) && Float.isFinite(gradientSum.getFloat());
      if (finite) {
        optimizer.beginStep();
        for (int i = 0; i < gradients.size(); i++) {
          optimizer.update(
              network.names.get(i),
              network.parameters.get(i),
              gradients.get(i),
              scratch,
              stateManager);
        }
        steps++;
      } else {
        skippedSteps++;
        LOG.debug("skipped step: loss {} or a gradient is not finite", lossValue);
      }
      return new StepResult(lossValue, correct, n, finite, steps);
    } finally {
      if (backwardRan) {
        // Our optimizer does not zero gradients and PyTorch accumulates them across backward calls.
        network.parameters.forEach(Torch::zeroGradient);
      }
    }
  }

  /**
   * Sets the learning rate of the following steps, for schedules such as a per-epoch decay. The
   * rate is a function of the epoch, not state, so a resumed run sets the same one.
   */
  public void setLearningRate(double learningRate) {
    optimizer.setLearningRate(learningRate);
  }

  /** Sets the learning rate its optimizer's schedule gives {@code epoch} (1-based). */
  public void startEpoch(int epoch) {
    setLearningRate(optimizerConfig.schedule().at(epoch));
  }

  /** Global number of applied steps: the model version. */
  public long steps() {
    return steps;
  }

  /**
   * Moves the version past {@code version} without a step, so that a snapshot following no step (a
   * clean stop, an empty window, a rollback) still publishes a version of its own.
   */
  public void continueAfter(long version) {
    steps = Math.max(steps, version + 1);
  }

  /** Steps refused because the loss or a gradient was NaN/Inf. */
  public long skippedSteps() {
    return skippedSteps;
  }

  /** Softmax probabilities for the first {@code n} examples of {@code x}, one row per example. */
  public float[][] predictProbabilities(float[] x, int n) {
    return network.probabilities(x, n);
  }

  /** Test accuracy and average loss computed exactly as the quickstart's test() does. */
  public Evaluation evaluate(float[] x, int[] labels, int n, int batchSize) {
    return network.evaluate(x, labels, n, batchSize);
  }

  /** True when no parameter holds NaN or Inf. */
  public boolean parametersFinite() {
    return network.parametersFinite();
  }

  public ModelSpec spec() {
    return spec;
  }

  public OptimizerConfig optimizerConfig() {
    return optimizerConfig;
  }

  public Device device() {
    return device;
  }

  /** The parameters as a PyTorch-named float32 state dict, in PyTorch's order (a copy). */
  public List<NamedTensor> stateDict() {
    List<float[]> values = network.parameterValues();
    List<long[]> shapes = spec.parameterShapes();
    List<NamedTensor> tensors = new ArrayList<>(values.size());
    for (int i = 0; i < values.size(); i++) {
      tensors.add(Tensors.float32(network.names.get(i), shapes.get(i), values.get(i)));
    }
    return tensors;
  }

  /** The optimizer's buffers (momentum, Adam moments and step), named for the snapshot. */
  public List<NamedTensor> optimizerState() {
    return optimizer.exportState();
  }

  /**
   * {@link #stateDict()} read in place, slice by slice, when a snapshot streams; null for a
   * TorchScript module. Consistent only while the model does not step.
   */
  public List<LiveTensor> liveStateDict() {
    return network.liveValues(spec.parameterShapes());
  }

  /** {@link #optimizerState()} read in place, as {@link #liveStateDict()}. */
  public List<LiveTensor> liveOptimizerState() {
    return optimizer.liveState();
  }

  /** A read-only copy of the current parameters for serving, at version {@link #steps()}. */
  public InferenceModel toInferenceModel() {
    return InferenceModel.of(spec, network.parameterValues(), steps, device);
  }

  /**
   * Replaces parameters, optimizer state and version, e.g. from a verified snapshot. The tensors
   * must match {@link ModelSpec#parameterNames()} and shapes (StateDicts checks this first).
   */
  void restore(List<float[]> parameters, List<NamedTensor> optimizerTensors, long version) {
    network.setParameters(parameters);
    if (!optimizer.importState(optimizerTensors, stateManager)) {
      LOG.warn(
          "the snapshot carries another optimizer's state; {} starts with fresh state",
          optimizerConfig.kind());
      optimizer.importState(List.of(), stateManager);
    }
    steps = version;
  }

  /** NDArrays alive under this model's manager (tests use it to prove steps leak nothing). */
  int managedArrayCount() {
    return countArrays(network.manager);
  }

  private static int countArrays(NDManager manager) {
    return manager.getManagedArrays().size();
  }

  @Override
  public void close() {
    optimizer.close();
    network.close();
  }
}
