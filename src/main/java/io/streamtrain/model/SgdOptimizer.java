package io.streamtrain.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.streamtrain.schema.NamedTensor;
import java.util.List;

/**
 * torch.optim.SGD (no dampening, no Nesterov): g = grad + wd*w; v = g on the first step, else v =
 * mu*v + g; w -= lr*v. With momentum 0 it is plain SGD and has no state.
 */
final class SgdOptimizer extends ParameterOptimizer {
  static final String MOMENTUM_PREFIX = PREFIX + "momentum_buffer.";

  private float learningRate;
  private final float momentum;
  private final float weightDecay;

  @Override
  void setLearningRate(double learningRate) {
    this.learningRate = (float) learningRate;
  }

  SgdOptimizer(OptimizerConfig config) {
    learningRate = (float) config.learningRate();
    momentum = (float) config.momentum();
    weightDecay = (float) config.weightDecay();
  }

  @Override
  void update(
      String name, NDArray weight, NDArray grad, NDManager scratch, NDManager stateManager) {
    NDArray direction = grad;
    if (weightDecay != 0) {
      direction = grad.add(temporary(weight.mul(weightDecay), scratch));
    }
    if (momentum != 0) {
      String key = MOMENTUM_PREFIX + name;
      NDArray buffer = state.get(key);
      if (buffer == null) {
        buffer = direction.duplicate(); // attached to the state manager below
        putState(key, buffer, stateManager);
      } else {
        buffer.muli(momentum).addi(direction);
      }
      direction = buffer;
    }
    weight.subi(temporary(direction.mul(learningRate), scratch));
  }

  @Override
  boolean importState(List<NamedTensor> tensors, NDManager stateManager) {
    clearState();
    boolean foreign = false;
    for (NamedTensor tensor : tensors) {
      if (momentum != 0 && tensor.getName().startsWith(MOMENTUM_PREFIX)) {
        putState(
            tensor.getName(),
            stateManager.create(Tensors.floats(tensor), new Shape(Tensors.shape(tensor))),
            stateManager);
      } else {
        foreign = true;
      }
    }
    return !foreign;
  }
}
