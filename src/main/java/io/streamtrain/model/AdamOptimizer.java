package io.streamtrain.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.streamtrain.schema.NamedTensor;
import java.util.ArrayList;
import java.util.List;

/**
 * torch.optim.Adam (amsgrad off): g = grad + wd*w; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g*g; w -=
 * lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps). The bias corrections are computed in double, as
 * PyTorch does from its Python-float step.
 */
final class AdamOptimizer extends ParameterOptimizer {
  static final String ADAM_PREFIX = PREFIX + "adam.";
  static final String EXP_AVG = ADAM_PREFIX + "exp_avg.";
  static final String EXP_AVG_SQ = ADAM_PREFIX + "exp_avg_sq.";
  static final String STEP = ADAM_PREFIX + "step";

  private double learningRate;
  private final float beta1;
  private final float beta2;
  private final double epsilon;
  private final float weightDecay;
  private long step;
  private float stepSize;
  private float secondMomentCorrection;

  @Override
  void setLearningRate(double learningRate) {
    this.learningRate = learningRate;
  }

  AdamOptimizer(OptimizerConfig config) {
    learningRate = config.learningRate();
    beta1 = (float) config.beta1();
    beta2 = (float) config.beta2();
    epsilon = config.epsilon();
    weightDecay = (float) config.weightDecay();
  }

  @Override
  void beginStep() {
    step++;
    double biasCorrection1 = 1 - Math.pow(beta1, step);
    double biasCorrection2 = 1 - Math.pow(beta2, step);
    stepSize = (float) (learningRate / biasCorrection1);
    secondMomentCorrection = (float) Math.sqrt(biasCorrection2);
  }

  @Override
  void update(
      String name, NDArray weight, NDArray grad, NDManager scratch, NDManager stateManager) {
    NDArray g = weightDecay != 0 ? grad.add(temporary(weight.mul(weightDecay), scratch)) : grad;
    NDArray expAvg = state.get(EXP_AVG + name);
    NDArray expAvgSq = state.get(EXP_AVG_SQ + name);
    if (expAvg == null) {
      expAvg = stateManager.zeros(weight.getShape());
      expAvgSq = stateManager.zeros(weight.getShape());
      putState(EXP_AVG + name, expAvg, stateManager);
      putState(EXP_AVG_SQ + name, expAvgSq, stateManager);
    }
    expAvg.muli(beta1).addi(g.mul(1 - beta1));
    expAvgSq.muli(beta2).addi(g.mul(g).muli(1 - beta2));
    NDArray denominator =
        temporary(expAvgSq.sqrt(), scratch).divi(secondMomentCorrection).addi((float) epsilon);
    weight.subi(temporary(expAvg.div(denominator), scratch).muli(stepSize));
  }

  @Override
  List<NamedTensor> exportState() {
    List<NamedTensor> tensors = new ArrayList<>(super.exportState());
    if (step > 0) {
      tensors.add(Tensors.int64Scalar(STEP, step));
    }
    return tensors;
  }

  @Override
  List<LiveTensor> liveState() {
    List<LiveTensor> tensors = new ArrayList<>(super.liveState());
    if (step > 0) {
      tensors.add(LiveTensor.of(Tensors.int64Scalar(STEP, step)));
    }
    return tensors;
  }

  @Override
  boolean importState(List<NamedTensor> tensors, NDManager stateManager) {
    clearState();
    step = 0;
    boolean foreign = false;
    for (NamedTensor tensor : tensors) {
      String name = tensor.getName();
      if (name.equals(STEP)) {
        step = Tensors.int64Value(tensor);
      } else if (name.startsWith(EXP_AVG) || name.startsWith(EXP_AVG_SQ)) {
        putState(
            name,
            stateManager.create(Tensors.floats(tensor), new Shape(Tensors.shape(tensor))),
            stateManager);
      } else {
        foreign = true;
      }
    }
    return !foreign;
  }
}
