package io.streamtrain.model;

import ai.djl.Device;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A read-only model for the prediction path, built from a snapshot or a Learner copy. A new one
 * can be prepared on any thread while the current one serves; the caller hot-swaps through an
 * AtomicReference and then closes the old one. Calls are serialised; {@link #close()} waits for a call in flight, and a
 * call on a closed model fails with IllegalStateException (fetch the current model and retry).
 */
public final class InferenceModel implements AutoCloseable {
  private final Network network;
  private final long version;
  // Serialises calls (the network reuses its input buffers) and keeps close() out of a call.
  private final ReentrantLock lock = new ReentrantLock();
  private boolean closed;
  private String transforms = "";
  private List<String> classNames = List.of();

  private InferenceModel(Network network, long version) {
    this.network = network;
    this.version = version;
  }

  /** A model with the given parameter values (state-dict order of {@code spec}). */
  static InferenceModel of(ModelSpec spec, List<float[]> parameters, long version, Device device) {
    Network network = new Network(spec, device, "inference-v" + version);
    try {
      network.setParameters(parameters);
    } catch (RuntimeException e) {
      network.close();
      throw e;
    }
    return new InferenceModel(network, version);
  }

  /**
   * Sets what the model's snapshot says about its inputs and outputs: the image transforms it was
   * trained with and its class names. Call before the model is shared.
   */
  InferenceModel labelled(CharSequence transforms, List<? extends CharSequence> classNames) {
    this.transforms = transforms == null ? "" : transforms.toString();
    this.classNames =
        classNames == null ? List.of() : classNames.stream().map(CharSequence::toString).toList();
    return this;
  }

  /** The image transforms the model was trained with ("" for none), to apply without augmenting. */
  public String transforms() {
    return transforms;
  }

  /** Class names by label from the model's snapshot, empty when it has none. */
  public List<String> classNames() {
    return classNames;
  }

  /** Softmax probabilities for the first {@code n} examples of {@code x}, one row each. */
  public float[][] probabilities(float[] x, int n) {
    lock.lock();
    try {
      checkOpen();
      return network.probabilities(x, n);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Runs {@code rounds} forward passes of zeros at each batch size a micro-batcher of {@code
   * maxBatch} uses most (1, the powers of two below {@code maxBatch}, and {@code maxBatch}), so the
   * first requests it serves find the engine's kernels, allocator and the JIT already warm.
   */
  public void warm(int maxBatch, int rounds) {
    float[] zeros = new float[maxBatch * network.spec.inputFeatures()];
    for (int round = 0; round < rounds; round++) {
      for (int n = 1; n < maxBatch; n *= 2) {
        probabilities(zeros, n);
      }
      probabilities(zeros, maxBatch);
    }
  }

  /** Test accuracy and average loss computed exactly as the quickstart's test() does. */
  public Evaluation evaluate(float[] x, int[] labels, int n, int batchSize) {
    lock.lock();
    try {
      checkOpen();
      return network.evaluate(x, labels, n, batchSize);
    } finally {
      lock.unlock();
    }
  }

  /** Model version (training steps) this model reflects. */
  public long version() {
    return version;
  }

  public ModelSpec spec() {
    return network.spec;
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException(
          "model version " + version + " was closed after a hot swap; fetch the current model");
    }
  }

  @Override
  public void close() {
    lock.lock();
    try {
      if (!closed) {
        closed = true;
        network.close();
      }
    } finally {
      lock.unlock();
    }
  }
}
