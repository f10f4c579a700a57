package io.streamtrain.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.streamtrain.schema.NamedTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * One entry of a state dict that is read where it lives, slice by slice, instead of being copied
 * whole: what a snapshot too large for one record streams from, so that the trainer never holds a
 * second copy of the model. Its bytes are the ones {@link NamedTensor#getData()} would hold.
 * Reading a live array is only consistent while nothing steps the model.
 */
public final class LiveTensor {
  /** Reads bytes {@code [offset, offset + len)} of the tensor's data into {@code into}. */
  @FunctionalInterface
  public interface SliceReader {
    void read(long offset, byte[] into, int off, int len);
  }

  private final String name;
  private final List<Long> shape;
  private final String dtype;
  private final long bytes;
  private final SliceReader reader;

  private LiveTensor(String name, List<Long> shape, String dtype, long bytes, SliceReader reader) {
    this.name = name;
    this.shape = shape;
    this.dtype = dtype;
    this.bytes = bytes;
    this.reader = reader;
  }

  public String name() {
    return name;
  }

  public List<Long> shape() {
    return shape;
  }

  public String dtype() {
    return dtype;
  }

  /** The size of the tensor's data. */
  public long bytes() {
    return bytes;
  }

  public void read(long offset, byte[] into, int off, int len) {
    if (offset < 0 || len < 0 || offset + len > bytes) {
      throw new IndexOutOfBoundsException(
          "bytes " + offset + ".." + (offset + len) + " of " + name + " (" + bytes + " bytes)");
    }
    reader.read(offset, into, off, len);
  }

  /** An entry already in Java memory (a scalar, or state that has no array of its own). */
  static LiveTensor of(NamedTensor tensor) {
    ByteBuffer data = tensor.getData().duplicate();
    return new LiveTensor(
        tensor.getName(),
        tensor.getShape(),
        tensor.getDtype(),
        data.remaining(),
        (offset, into, off, len) ->
            data.duplicate().position(data.position() + (int) offset).get(into, off, len));
  }

  /**
   * A float32 array read in place: each read copies only the bytes it covers out of native memory.
   * Other dtypes, and a big-endian machine, go through a whole copy as {@link Tensors#float32}
   * does, which gives the same bytes.
   */
  static LiveTensor ofArray(String name, long[] shape, NDArray array) {
    if (array.getDataType() != DataType.FLOAT32
        || ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
      return of(Tensors.float32(name, shape, array.toFloatArray()));
    }
    long bytes = array.size() * Float.BYTES;
    return new LiveTensor(
        name,
        Tensors.shapeList(shape),
        Tensors.FLOAT32,
        bytes,
        (offset, into, off, len) -> readFloats(array, offset, into, off, len));
  }

  private static void readFloats(NDArray array, long offset, byte[] into, int off, int len) {
    if (len == 0) {
      return;
    }
    // Called from the thread that publishes, not the one that trains: no autograd graph here.
    Torch.noGradOnThisThread();
    try (NDManager scratch = array.getManager().newSubManager()) {
      // A view of the array's own memory (a contiguous copy only if it is not contiguous), read
      // through a direct buffer: nothing is copied but the bytes asked for.
      NDArray flat = array.reshape(-1);
      flat.attach(scratch);
      ByteBuffer data = flat.toByteBuffer(true);
      data.position(Math.toIntExact(offset));
      data.get(into, off, len);
    }
  }
}
