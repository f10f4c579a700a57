package io.streamtrain.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The one place that touches the PyTorch engine directly: offline native loading and the two
 * per-thread autograd switches that DJL's engine-neutral API does not expose.
 */
final class Torch {
  static final String ENGINE = "PyTorch";
  private static final String OFFLINE = "ai.djl.offline";
  private static final String THREADS = "ai.djl.pytorch.num_threads";
  private static final String INTEROP_THREADS = "ai.djl.pytorch.num_interop_threads";

  private Torch() {}

  /**
   * Returns the PyTorch engine, loading it from the classpath natives. Sets ai.djl.offline=true
   * first (unless the user set it) so DJL never tries to download natives.
   */
  static Engine engine() {
    if (System.getProperty(OFFLINE) == null) {
      System.setProperty(OFFLINE, "true");
    }
    // PyTorch's default of one intra-op thread per core fights the Kafka client, Streams and
    // decoding threads for the same cores (docs/benchmarks.md has the measured steps). Leave a
    // core to the pipeline unless the user chose.
    if (System.getProperty(THREADS) == null) {
      int cores = Runtime.getRuntime().availableProcessors();
      System.setProperty(THREADS, String.valueOf(Math.max(1, cores - 1)));
    }
    if (System.getProperty(INTEROP_THREADS) == null) {
      System.setProperty(INTEROP_THREADS, "1");
    }
    try {
      return Engine.getEngine(ENGINE);
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "cannot load the DJL PyTorch engine offline ("
              + e.getMessage()
              + "); check that pytorch-native-cpu/cu124 and pytorch-jni are on the classpath",
          e);
    }
  }

  /**
   * Turns autograd recording off on the calling thread. PyTorch's grad mode is thread-local and on
   * by default, so Kafka Streams threads start with it on: in-place parameter updates would be
   * refused and inference would record graphs. DJL's GradientCollector only restores "off" if it
   * found it off, so we set it before every step and every inference call.
   */
  static void noGradOnThisThread() {
    JniUtils.setGradMode(false);
  }

  /**
   * Loads a TorchScript module from the bytes of its (already checked) archive into {@code
   * manager}'s device, its parameters plain tensors (not inference tensors) that may record
   * gradients.
   */
  static PtSymbolBlock loadModule(NDManager manager, byte[] archive) {
    try {
      return JniUtils.loadModule(
          (PtNDManager) manager, new ByteArrayInputStream(archive), true, false);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The module's parameters with their names (named_parameters()), sharing its storage. */
  static NDList moduleParameters(PtSymbolBlock module, NDManager manager) {
    return JniUtils.moduleGetParams(module, (PtNDManager) manager);
  }

  /**
   * Runs the module's forward in train() or eval() mode. Always outside inference mode (DJL's eval
   * path uses c10::InferenceMode, whose tensors then fail in autograd); the caller's grad mode
   * decides whether a graph is recorded.
   */
  static NDList forward(PtSymbolBlock module, NDList inputs, boolean train) {
    if (train) {
      JniUtils.enableTrainingMode(module);
    } else {
      JniUtils.enableInferenceMode(module);
    }
    return IValueUtils.forward(module, inputs, true);
  }

  /** The module as libtorch saves it: a TorchScript archive with its current state. */
  static byte[] saveModule(PtSymbolBlock module) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    JniUtils.writeModule(module, out, false);
    return out.toByteArray();
  }

  /** Zeroes the gradient buffer of a parameter in place; unlike g - g this also clears NaN/Inf. */
  static void zeroGradient(NDArray parameter) {
    JniUtils.zeroGrad((PtNDArray) parameter);
  }
}
