package io.streamtrain.model;

import io.streamtrain.schema.NamedTensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * {@code .pth} files as {@code torch.save(model.state_dict(), path)} writes them (PyTorch ≥ 1.6): a
 * zip archive of stored entries under one top folder, {@code archive/data.pkl} (the pickled
 * OrderedDict, see {@link PickleWriter} and {@link PickleReader}), one {@code archive/data/N} of
 * raw little-endian bytes per storage with its data aligned to 64 bytes, {@code archive/version}
 * and {@code archive/byteorder}. Reading accepts any top folder name, as PyTorch does.
 */
final class PthFiles {
  private static final int ALIGNMENT = 64;
  private static final int MAX_ENTRY_BYTES = Integer.MAX_VALUE - 64;

  private PthFiles() {}

  /** The bytes of a .pth file holding {@code tensors} (in order) as an OrderedDict state dict. */
  static byte[] write(List<NamedTensor> tensors) {
    ZipWriter zip = new ZipWriter();
    zip.add("archive/data.pkl", PickleWriter.stateDict(tensors));
    zip.add("archive/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
    for (int i = 0; i < tensors.size(); i++) {
      zip.add("archive/data/" + i, Tensors.bytes(tensors.get(i)));
    }
    zip.add("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
    return zip.finish();
  }

  /**
   * The state dict in {@code file}, each tensor made contiguous and little-endian. Throws
   * IllegalArgumentException with a one-line reason for anything that is not a state dict.
   */
  static List<NamedTensor> read(Path file) {
    String what = ".pth file " + file;
    try (InputStream head = Files.newInputStream(file)) {
      byte[] magic = head.readNBytes(4);
      if (magic.length < 4 || magic[0] != 'P' || magic[1] != 'K') {
        throw new IllegalArgumentException(
            what
                + " is not a zip archive: expected the format of torch.save in PyTorch 1.6 or"
                + " later (a legacy or foreign file cannot be read; re-save it with torch.save)");
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + what + ": " + e.getMessage(), e);
    }
    try (ZipFile zip = new ZipFile(file.toFile())) {
      return read(zip, what);
    } catch (ZipException e) {
      throw new IllegalArgumentException(
          what + " is truncated or not a zip archive (" + e.getMessage() + ")", e);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + what + ": " + e.getMessage(), e);
    }
  }

  private static List<NamedTensor> read(ZipFile zip, String what) throws IOException {
    String prefix = null;
    Map<String, ZipEntry> entries = new HashMap<>();
    for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
      ZipEntry entry = e.nextElement();
      entries.put(entry.getName(), entry);
      if (entry.getName().endsWith("data.pkl") && prefix == null) {
        String name = entry.getName();
        int slash = name.indexOf('/');
        if (slash >= 0 && name.substring(slash + 1).equals("data.pkl")) {
          prefix = name.substring(0, slash + 1);
        }
      }
    }
    if (prefix == null) {
      throw new IllegalArgumentException(
          what + " has no <folder>/data.pkl: it is a zip but not a torch.save file");
    }
    ZipEntry byteorder = entries.get(prefix + "byteorder");
    if (byteorder != null) {
      String order = new String(entryBytes(zip, byteorder, what), StandardCharsets.US_ASCII).trim();
      if (!order.equals("little")) {
        throw new IllegalArgumentException(
            what + " was saved with byte order '" + order + "'; only little-endian files are read");
      }
    }
    Object top;
    try {
      top = PickleReader.read(entryBytes(zip, entries.get(prefix + "data.pkl"), what));
    } catch (PickleReader.PickleException e) {
      throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
    }
    if (!(top instanceof Map<?, ?> dict)) {
      throw new IllegalArgumentException(
          what + " holds a " + typeName(top) + ", not a state dict (an OrderedDict of tensors)");
    }
    Map<String, byte[]> storages = new HashMap<>();
    List<NamedTensor> tensors = new ArrayList<>(dict.size());
    for (Map.Entry<?, ?> item : dict.entrySet()) {
      if (!(item.getKey() instanceof String name)) {
        throw new IllegalArgumentException(
            what + " has a " + typeName(item.getKey()) + " key; a state dict's keys are names");
      }
      if (!(item.getValue() instanceof PickleReader.TensorRef ref)) {
        throw new IllegalArgumentException(
            what
                + " holds a "
                + typeName(item.getValue())
                + " under '"
                + name
                + "', not a tensor: only state dicts (name → tensor) are read");
      }
      PickleReader.Storage storage = ref.storage();
      byte[] bytes = storages.get(storage.key());
      if (bytes == null) {
        ZipEntry entry = entries.get(prefix + "data/" + storage.key());
        if (entry == null) {
          throw new IllegalArgumentException(
              what + " lacks the storage data/" + storage.key() + " of tensor " + name);
        }
        bytes = entryBytes(zip, entry, what);
        long expected = multiply(storage.numel(), Tensors.elementSize(storage.dtype()), what);
        if (bytes.length != expected) {
          throw new IllegalArgumentException(
              what
                  + ": storage data/"
                  + storage.key()
                  + " holds "
                  + bytes.length
                  + " bytes, its pickle says "
                  + storage.numel()
                  + " "
                  + storage.dtype()
                  + " elements ("
                  + expected
                  + " bytes)");
        }
        storages.put(storage.key(), bytes);
      }
      tensors.add(contiguous(name, ref, bytes, what));
    }
    return tensors;
  }

  /** Copies the strided view {@code ref} of {@code storage} into a row-major tensor. */
  static NamedTensor contiguous(
      String name, PickleReader.TensorRef ref, byte[] storage, String what) {
    int elementSize = Tensors.elementSize(ref.storage().dtype());
    long numel = 1;
    long lastIndex = ref.offset();
    for (int d = 0; d < ref.size().length; d++) {
      numel = multiply(numel, ref.size()[d], what);
      if (ref.size()[d] > 0) {
        lastIndex = Math.addExact(lastIndex, multiply(ref.size()[d] - 1, ref.stride()[d], what));
      }
    }
    if (numel > ref.storage().numel()) {
      // Only overlapping (e.g. expanded, stride 0) views are larger than their storage: a state
      // dict has none, and refusing them bounds what a small file can make us allocate.
      throw new IllegalArgumentException(
          what
              + ": tensor "
              + name
              + " has "
              + numel
              + " elements, more than its storage's "
              + ref.storage().numel()
              + " (overlapping views are not supported)");
    }
    if (numel > 0 && (ref.offset() < 0 || lastIndex >= ref.storage().numel())) {
      throw new IllegalArgumentException(
          what
              + ": tensor "
              + name
              + " reaches element "
              + lastIndex
              + " of a storage of "
              + ref.storage().numel());
    }
    byte[] data = new byte[Math.toIntExact(multiply(numel, elementSize, what))];
    long[] strides = PickleWriter.rowMajorStrides(ref.size());
    if (numel > 0 && java.util.Arrays.equals(strides, ref.stride())) {
      System.arraycopy(storage, Math.toIntExact(ref.offset() * elementSize), data, 0, data.length);
    } else {
      int rank = ref.size().length;
      long[] index = new long[rank];
      for (long i = 0; i < numel; i++) {
        long source = ref.offset();
        for (int d = 0; d < rank; d++) {
          source += index[d] * ref.stride()[d];
        }
        System.arraycopy(
            storage, (int) (source * elementSize), data, (int) (i * elementSize), elementSize);
        for (int d = rank - 1; d >= 0 && ++index[d] == ref.size()[d]; d--) {
          index[d] = 0;
        }
      }
    }
    return new NamedTensor(
        name,
        Tensors.shapeList(ref.size()),
        ref.storage().dtype(),
        ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN));
  }

  private static long multiply(long a, long b, String what) {
    try {
      return Math.multiplyExact(a, b);
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(what + " declares a tensor too large to read");
    }
  }

  private static byte[] entryBytes(ZipFile zip, ZipEntry entry, String what) throws IOException {
    if (entry.getMethod() != ZipEntry.STORED) {
      // torch.save stores every entry; a compressed one could inflate far beyond the file.
      throw new IllegalArgumentException(
          what + ": entry " + entry.getName() + " is compressed; torch.save stores entries as is");
    }
    long size = entry.getSize();
    if (size < 0 || size > MAX_ENTRY_BYTES) {
      throw new IllegalArgumentException(
          what + ": entry " + entry.getName() + " declares " + size + " bytes, more than we read");
    }
    try (InputStream in = zip.getInputStream(entry)) {
      byte[] bytes = in.readNBytes((int) size);
      if (bytes.length != size || in.read() != -1) {
        throw new IllegalArgumentException(
            what + ": entry " + entry.getName() + " is not the " + size + " bytes it declares");
      }
      return bytes;
    }
  }

  private static String typeName(Object value) {
    if (value == null) {
      return "None";
    }
    if (value instanceof PickleReader.Tuple) {
      return "tuple";
    }
    if (value instanceof Map) {
      return "dict";
    }
    if (value instanceof List) {
      return "list";
    }
    if (value instanceof PickleReader.TensorRef) {
      return "tensor";
    }
    return value.getClass().getSimpleName();
  }

  /** A minimal zip writer: stored entries, data aligned to 64 bytes, fixed timestamps. */
  static final class ZipWriter {
    private static final int DOS_DATE_1980_01_01 = (1 << 5) | 1;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream central = new ByteArrayOutputStream();
    private int count;

    void add(String name, byte[] data) {
      byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
      long offset = out.size();
      CRC32 crc = new CRC32();
      crc.update(data);
      // An extra field ("FB", as PyTorch's writer) pads the local header so the data is aligned.
      int headerEnd = (int) offset + 30 + nameBytes.length + 4;
      int padding = (ALIGNMENT - headerEnd % ALIGNMENT) % ALIGNMENT;
      if (offset + data.length + 512 > 0xffffffffL) {
        throw new IllegalArgumentException("a state dict over 4 GB cannot be written as .pth here");
      }
      int4(out, 0x04034b50);
      int2(out, 20); // version needed
      int2(out, 0); // flags
      int2(out, 0); // stored
      int2(out, 0); // time
      int2(out, DOS_DATE_1980_01_01);
      int4(out, (int) crc.getValue());
      int4(out, data.length);
      int4(out, data.length);
      int2(out, nameBytes.length);
      int2(out, 4 + padding);
      out.writeBytes(nameBytes);
      int2(out, 0x4246);
      int2(out, padding);
      out.writeBytes(new byte[padding]);
      out.writeBytes(data);

      int4(central, 0x02014b50);
      int2(central, 20); // version made by
      int2(central, 20); // version needed
      int2(central, 0);
      int2(central, 0);
      int2(central, 0);
      int2(central, DOS_DATE_1980_01_01);
      int4(central, (int) crc.getValue());
      int4(central, data.length);
      int4(central, data.length);
      int2(central, nameBytes.length);
      int2(central, 0); // extra
      int2(central, 0); // comment
      int2(central, 0); // disk
      int2(central, 0); // internal attributes
      int4(central, 0); // external attributes
      int4(central, (int) offset);
      central.writeBytes(nameBytes);
      count++;
    }

    byte[] finish() {
      if (count > 0xffff) {
        throw new IllegalArgumentException("a state dict of over 65535 tensors cannot be written");
      }
      int centralOffset = out.size();
      out.writeBytes(central.toByteArray());
      int4(out, 0x06054b50);
      int2(out, 0);
      int2(out, 0);
      int2(out, count);
      int2(out, count);
      int4(out, central.size());
      int4(out, centralOffset);
      int2(out, 0); // comment
      return out.toByteArray();
    }

    private static void int2(ByteArrayOutputStream out, int value) {
      out.write(value & 0xff);
      out.write((value >>> 8) & 0xff);
    }

    private static void int4(ByteArrayOutputStream out, int value) {
      int2(out, value);
      int2(out, value >>> 16);
    }
  }
}
