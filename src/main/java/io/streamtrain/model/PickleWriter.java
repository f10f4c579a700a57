package io.streamtrain.model;

import io.streamtrain.schema.NamedTensor;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the {@code data.pkl} of a state dict as {@code torch.save} does (pickle protocol 2): an
 * {@code OrderedDict} whose values are {@code _rebuild_tensor_v2(storage, 0, size, stride, False,
 * OrderedDict())}, tensor {@code i}'s storage being the persistent id {@code ("storage",
 * torch.FloatStorage, "i", "cpu", numel)}. Tensors are contiguous, so strides are row-major.
 */
final class PickleWriter {
  private static final Map<String, String> STORAGE_TYPES = new HashMap<>();

  static {
    PickleReader.STORAGE_DTYPES.forEach((type, dtype) -> STORAGE_TYPES.put(dtype, type));
  }

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  private PickleWriter() {}

  /** The pickle of {@code tensors} as an OrderedDict; tensor i's bytes go to {@code data/i}. */
  static byte[] stateDict(List<NamedTensor> tensors) {
    PickleWriter writer = new PickleWriter();
    writer.write(tensors);
    return writer.out.toByteArray();
  }

  private void write(List<NamedTensor> tensors) {
    out.write(0x80); // PROTO 2
    out.write(2);
    global(PickleReader.ORDERED_DICT);
    out.write(')'); // EMPTY_TUPLE
    out.write('R'); // REDUCE → OrderedDict()
    if (!tensors.isEmpty()) {
      out.write('('); // MARK
      for (int i = 0; i < tensors.size(); i++) {
        NamedTensor tensor = tensors.get(i);
        String storageType = Tensors.dtypeCode(STORAGE_TYPES, tensor, ".pth");
        Tensors.checkSize(tensor);
        long[] shape = Tensors.shape(tensor);
        string(tensor.getName());
        global(PickleReader.REBUILD_TENSOR);
        out.write('('); // MARK: the arguments
        out.write('('); // MARK: the persistent id
        string("storage");
        global(storageType);
        string(Integer.toString(i));
        string("cpu");
        integer(Tensors.elements(shape));
        out.write('t'); // TUPLE
        out.write('Q'); // BINPERSID
        integer(0); // storage offset
        tuple(shape);
        tuple(rowMajorStrides(shape));
        out.write(0x89); // NEWFALSE: requires_grad
        global(PickleReader.ORDERED_DICT);
        out.write(')');
        out.write('R'); // backward_hooks = OrderedDict()
        out.write('t'); // TUPLE
        out.write('R'); // REDUCE → the tensor
      }
      out.write('u'); // SETITEMS
    }
    out.write('.'); // STOP
  }

  static long[] rowMajorStrides(long[] shape) {
    long[] strides = new long[shape.length];
    long stride = 1;
    for (int d = shape.length - 1; d >= 0; d--) {
      strides[d] = stride;
      stride *= shape[d];
    }
    return strides;
  }

  private void global(String qualifiedName) {
    int dot = qualifiedName.lastIndexOf('.');
    out.write('c');
    out.writeBytes(
        (qualifiedName.substring(0, dot) + "\n" + qualifiedName.substring(dot + 1) + "\n")
            .getBytes(StandardCharsets.US_ASCII));
  }

  private void string(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    out.write('X'); // BINUNICODE
    int4(bytes.length);
    out.writeBytes(bytes);
  }

  private void integer(long value) {
    if (value >= 0 && value < 256) {
      out.write('K'); // BININT1
      out.write((int) value);
    } else if (value >= Integer.MIN_VALUE && value <= Integer.MAX_VALUE) {
      out.write('J'); // BININT
      int4((int) value);
    } else {
      out.write(0x8a); // LONG1 with 8 little-endian bytes
      out.write(8);
      for (int i = 0; i < 8; i++) {
        out.write((int) (value >>> (8 * i)) & 0xff);
      }
    }
  }

  private void tuple(long[] values) {
    if (values.length == 0) {
      out.write(')');
      return;
    }
    if (values.length > 3) {
      out.write('(');
    }
    for (long value : values) {
      integer(value);
    }
    out.write(values.length > 3 ? 't' : 0x84 + values.length); // TUPLE or TUPLE1..3
  }

  private void int4(int value) {
    for (int i = 0; i < 4; i++) {
      out.write((value >>> (8 * i)) & 0xff);
    }
  }
}
