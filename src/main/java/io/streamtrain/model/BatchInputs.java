package io.streamtrain.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A network's batch inputs and label columns, copied into NDArrays through direct buffers that are
 * reused every call, so that a step allocates no direct memory of its own (DJL copies from them).
 */
final class BatchInputs {
  private final ModelSpec spec;
  private ByteBuffer inputBuffer = ByteBuffer.allocateDirect(0);
  private ByteBuffer labelBuffer = ByteBuffer.allocateDirect(0);

  BatchInputs(ModelSpec spec) {
    this.spec = spec;
  }

  /** A (n, C, H, W) float input in {@code scratch}, copied from {@code x}. */
  NDArray input(NDManager scratch, float[] x, int n) {
    int features = spec.inputFeatures();
    if (n <= 0 || x == null || x.length < (long) n * features) {
      throw new IllegalArgumentException(
          "batch of "
              + n
              + " needs "
              + (long) n * features
              + " floats ("
              + features
              + " per example), got "
              + (x == null ? 0 : x.length));
    }
    int bytes = n * features * Float.BYTES;
    if (inputBuffer.capacity() < bytes) {
      inputBuffer = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }
    ByteBuffer view = inputBuffer.duplicate().order(ByteOrder.nativeOrder());
    view.clear().limit(bytes);
    view.asFloatBuffer().put(x, 0, n * features);
    long[] shape = spec.inputShape();
    long[] batchShape = new long[shape.length + 1];
    batchShape[0] = n;
    System.arraycopy(shape, 0, batchShape, 1, shape.length);
    return scratch.create(view, new Shape(batchShape), DataType.FLOAT32);
  }

  /** An int64 (n, 1) label column in {@code scratch}, checked against the number of classes. */
  NDArray labels(NDManager scratch, int[] labels, int n) {
    if (labels == null || labels.length < n) {
      throw new IllegalArgumentException(
          "batch of " + n + " needs " + n + " labels, got " + (labels == null ? 0 : labels.length));
    }
    int bytes = n * Long.BYTES;
    if (labelBuffer.capacity() < bytes) {
      labelBuffer = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }
    ByteBuffer view = labelBuffer.duplicate().order(ByteOrder.nativeOrder());
    view.clear().limit(bytes);
    for (int i = 0; i < n; i++) {
      int label = labels[i];
      if (label < 0 || label >= spec.numClasses()) {
        throw new IllegalArgumentException(
            "label " + label + " is outside 0.." + (spec.numClasses() - 1) + " for " + spec);
      }
      view.putLong(i * Long.BYTES, label);
    }
    return scratch.create(view, new Shape(n, 1), DataType.INT64);
  }
}
