package io.streamtrain.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.streamtrain.schema.NamedTensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An optimizer that updates parameter NDArrays in place and owns its state buffers by name, so a
 * snapshot can carry them and a resumed run continues bit-identically. Ours rather than DJL's
 * (whose state is private and whose PyTorch kernels zero gradients inside the update).
 */
abstract class ParameterOptimizer implements AutoCloseable {
  static final String PREFIX = "optimizer.";

  /** State buffers by state-dict name, in creation order; owned by the state manager. */
  protected final Map<String, NDArray> state = new LinkedHashMap<>();

  /** Sets the learning rate of the following steps (a schedule; not part of the state). */
  abstract void setLearningRate(double learningRate);

  /** Called once per applied step before the per-parameter updates. */
  void beginStep() {}

  /**
   * Updates {@code weight} in place from {@code grad}. Temporaries go to {@code scratch} (closed by
   * the caller after the step); persistent state is attached to {@code stateManager}.
   */
  abstract void update(
      String name, NDArray weight, NDArray grad, NDManager scratch, NDManager stateManager);

  /** The state as named float32/int64 tensors, in a stable order. */
  List<NamedTensor> exportState() {
    List<NamedTensor> tensors = new ArrayList<>();
    for (Map.Entry<String, NDArray> entry : state.entrySet()) {
      NDArray array = entry.getValue();
      tensors.add(
          Tensors.float32(entry.getKey(), array.getShape().getShape(), array.toFloatArray()));
    }
    return tensors;
  }

  /** The state as {@link #exportState()} has it, read in place when published. */
  List<LiveTensor> liveState() {
    List<LiveTensor> tensors = new ArrayList<>();
    for (Map.Entry<String, NDArray> entry : state.entrySet()) {
      NDArray array = entry.getValue();
      tensors.add(LiveTensor.ofArray(entry.getKey(), array.getShape().getShape(), array));
    }
    return tensors;
  }

  /**
   * Replaces the state with {@code tensors} (those whose names belong to this optimizer). Returns
   * false when the tensors carry another optimizer's state (which is then ignored).
   */
  abstract boolean importState(List<NamedTensor> tensors, NDManager stateManager);

  /**
   * Moves a temporary into the step's scratch manager. DJL attaches an op's result to the manager
   * of its first operand, so results computed from parameters or state would otherwise live (and
   * accumulate) in the model's manager.
   */
  protected static NDArray temporary(NDArray result, NDManager scratch) {
    result.attach(scratch);
    return result;
  }

  protected void putState(String name, NDArray array, NDManager stateManager) {
    array.attach(stateManager);
    NDArray previous = state.put(name, array);
    if (previous != null && previous != array) {
      previous.close();
    }
  }

  protected void clearState() {
    state.values().forEach(NDArray::close);
    state.clear();
  }

  @Override
  public void close() {
    clearState();
  }
}
