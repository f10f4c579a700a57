package io.streamtrain.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtSymbolBlock;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A user's TorchScript module as a model: the archive's bytes and SHA-256, the input shape it is
 * fed (C×H×W), its state entries (parameters, then buffers, by the module's own names) and the
 * number of classes a trial forward found. Immutable. {@link #of} runs the start-up checks, each
 * failing with one line: not an archive (or over the size limit), no trainable parameter, a forward
 * that fails on the input shape, an output that is not [batch, classes].
 */
public final class TorchScriptModule {
  private final byte[] bytes;
  private final String sha256;
  private final int[] input;
  private final TorchScriptArchive archive;
  private final int classes;

  private TorchScriptModule(
      byte[] bytes, String sha256, int[] input, TorchScriptArchive archive, int classes) {
    this.bytes = bytes;
    this.sha256 = sha256;
    this.input = input;
    this.archive = archive;
    this.classes = classes;
  }

  /**
   * Checks the archive {@code bytes} ({@code source} names it in messages), loads it in libtorch
   * and runs a trial forward on a batch of two zero images of {@code input} (C, H, W).
   */
  public static TorchScriptModule of(byte[] bytes, int[] input, String source) {
    String what = "module " + source;
    TorchScriptArchive archive = TorchScriptArchive.read(bytes, what);
    Set<String> declared =
        archive.slots().stream()
            .filter(TorchScriptArchive.Slot::parameter)
            .map(TorchScriptArchive.Slot::name)
            .collect(Collectors.toCollection(TreeSet::new));
    int classes;
    try (NDManager manager = Torch.engine().newBaseManager(Device.cpu())) {
      PtSymbolBlock module;
      try {
        module = Torch.loadModule(manager, bytes);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            what + " cannot be loaded by libtorch: " + oneLine(e.getMessage()), e);
      }
      NDList parameters = Torch.moduleParameters(module, manager);
      Set<String> named = new TreeSet<>();
      parameters.forEach(p -> named.add(p.getName()));
      if (named.isEmpty()) {
        throw new IllegalArgumentException(
            what + " has no trainable parameter: there is nothing to train");
      }
      if (!named.equals(declared)) {
        throw new IllegalArgumentException(
            what
                + ": libtorch lists the parameters "
                + named
                + " but the archive declares "
                + declared);
      }
      classes = trialForward(module, manager, input, what);
    }
    return new TorchScriptModule(bytes, sha256(bytes), input.clone(), archive, classes);
  }

  private static int trialForward(
      PtSymbolBlock module, NDManager manager, int[] input, String what) {
    long[] shape = {2, input[0], input[1], input[2]};
    Torch.noGradOnThisThread();
    NDList output;
    try {
      NDArray zeros = manager.zeros(new Shape(shape), DataType.FLOAT32);
      output = Torch.forward(module, new NDList(zeros), false);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          what
              + ": a forward on an input of shape "
              + Arrays.toString(shape)
              + " fails: "
              + oneLine(e.getMessage())
              + " (set --input-shape CxHxW to what the module takes)",
          e);
    }
    long[] out = output.size() == 1 ? output.get(0).getShape().getShape() : new long[0];
    if (output.size() != 1
        || out.length != 2
        || out[0] != 2
        || out[1] < 1
        || out[1] > Integer.MAX_VALUE
        || output.get(0).getDataType() != DataType.FLOAT32) {
      throw new IllegalArgumentException(
          what
              + ": a forward on an input of shape "
              + Arrays.toString(shape)
              + " returns "
              + (output.size() == 1
                  ? output.get(0).getDataType() + " " + Arrays.toString(out)
                  : output.size() + " values")
              + "; it must return float32 logits of shape [batch, classes], here [2, classes]");
    }
    return (int) out[1];
  }

  /** The line of a libtorch error that says what went wrong (its traceback omitted). */
  static String oneLine(String message) {
    if (message == null) {
      return "no message";
    }
    String[] lines = message.strip().split("\n");
    for (int i = lines.length - 1; i >= 0; i--) {
      String line = lines[i].strip();
      if (line.contains("Error: ")) {
        return line;
      }
    }
    return lines[0].strip();
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
  }

  /** The hex SHA-256 of the archive: the module's identity in specs, snapshots and Kafka. */
  public String sha256() {
    return sha256;
  }

  /** A copy of the archive's bytes. */
  public byte[] bytes() {
    return bytes.clone();
  }

  /** Archive bytes without a copy, for this package. */
  byte[] archiveBytes() {
    return bytes;
  }

  public int size() {
    return bytes.length;
  }

  /** The input shape (C, H, W). */
  public int[] input() {
    return input.clone();
  }

  public int classes() {
    return classes;
  }

  TorchScriptArchive archive() {
    return archive;
  }

  List<TorchScriptArchive.Slot> slots() {
    return archive.slots();
  }
}
