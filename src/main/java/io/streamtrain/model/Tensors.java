package io.streamtrain.model;

import io.streamtrain.schema.NamedTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Conversions between Java arrays and state-dict entries (little-endian, row-major). */
final class Tensors {
  static final String FLOAT32 = "float32";
  static final String INT64 = "int64";
  static final String FLOAT64 = "float64";
  static final String FLOAT16 = "float16";
  static final String BFLOAT16 = "bfloat16";
  static final String INT32 = "int32";
  static final String INT16 = "int16";
  static final String INT8 = "int8";
  static final String UINT8 = "uint8";
  static final String BOOL = "bool";

  /** Bytes per element of each dtype a state-dict file may hold. */
  private static final java.util.Map<String, Integer> ELEMENT_SIZES =
      java.util.Map.of(
          FLOAT32, 4, INT64, 8, FLOAT64, 8, FLOAT16, 2, BFLOAT16, 2, INT32, 4, INT16, 2, INT8, 1,
          UINT8, 1, BOOL, 1);

  private Tensors() {}

  static NamedTensor float32(String name, long[] shape, float[] values) {
    ByteBuffer bytes =
        ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(values);
    return new NamedTensor(name, shapeList(shape), FLOAT32, bytes);
  }

  static NamedTensor int64Scalar(String name, long value) {
    ByteBuffer bytes = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    bytes.putLong(0, value);
    return new NamedTensor(name, List.of(), INT64, bytes);
  }

  static float[] floats(NamedTensor tensor) {
    if (!FLOAT32.equals(tensor.getDtype())) {
      throw new IllegalArgumentException(
          "tensor " + tensor.getName() + " has dtype " + tensor.getDtype() + ", expected float32");
    }
    ByteBuffer data = tensor.getData().duplicate().order(ByteOrder.LITTLE_ENDIAN);
    long expected = elements(shape(tensor)) * Float.BYTES;
    if (data.remaining() != expected) {
      throw new IllegalArgumentException(
          "tensor "
              + tensor.getName()
              + " has "
              + data.remaining()
              + " bytes, its shape needs "
              + expected);
    }
    float[] values = new float[data.remaining() / Float.BYTES];
    data.asFloatBuffer().get(values);
    return values;
  }

  static long int64Value(NamedTensor tensor) {
    ByteBuffer data = tensor.getData().duplicate().order(ByteOrder.LITTLE_ENDIAN);
    if (!INT64.equals(tensor.getDtype()) || data.remaining() != Long.BYTES) {
      throw new IllegalArgumentException(
          "tensor " + tensor.getName() + " should be an int64 scalar, got " + tensor.getDtype());
    }
    return data.getLong(data.position());
  }

  /** A copy of {@code tensor}'s little-endian data bytes. */
  static byte[] bytes(NamedTensor tensor) {
    ByteBuffer data = tensor.getData().duplicate();
    byte[] bytes = new byte[data.remaining()];
    data.get(bytes);
    return bytes;
  }

  static long[] shape(NamedTensor tensor) {
    return tensor.getShape().stream().mapToLong(Long::longValue).toArray();
  }

  static List<Long> shapeList(long[] shape) {
    List<Long> list = new ArrayList<>(shape.length);
    for (long dim : shape) {
      list.add(dim);
    }
    return list;
  }

  /** Bytes per element of {@code dtype}, or -1 when it is not one we know. */
  static int elementSize(String dtype) {
    return ELEMENT_SIZES.getOrDefault(dtype, -1);
  }

  /** What {@code codes} calls the tensor's dtype in a {@code fileKind} file, which must hold it. */
  static String dtypeCode(Map<String, String> codes, NamedTensor tensor, String fileKind) {
    String code = codes.get(tensor.getDtype());
    if (code == null) {
      throw new IllegalArgumentException(
          "tensor "
              + tensor.getName()
              + " has dtype "
              + tensor.getDtype()
              + ", which a "
              + fileKind
              + " file cannot hold");
    }
    return code;
  }

  /**
   * The number of data bytes {@code tensor}'s shape and dtype call for, checked against its data.
   */
  static void checkSize(NamedTensor tensor) {
    int size = elementSize(tensor.getDtype());
    if (size < 0) {
      throw new IllegalArgumentException(
          "tensor " + tensor.getName() + " has unknown dtype " + tensor.getDtype());
    }
    long expected = elements(shape(tensor)) * size;
    if (tensor.getData().remaining() != expected) {
      throw new IllegalArgumentException(
          "tensor "
              + tensor.getName()
              + " has "
              + tensor.getData().remaining()
              + " bytes, its shape and dtype need "
              + expected);
    }
  }

  static long elements(long[] shape) {
    long count = 1;
    for (long dim : shape) {
      count *= dim;
    }
    return count;
  }
}
