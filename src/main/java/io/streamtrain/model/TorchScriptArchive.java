package io.streamtrain.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * A TorchScript archive ({@code torch.jit.save}) read without libtorch, so a file is checked before
 * libtorch ever parses it: a zip of stored entries under one top folder with {@code data.pkl},
 * {@code code/} and {@code version}, at most {@link #MAX_BYTES}. Its {@code data.pkl} is walked by
 * the restricted {@link PickleReader} (nothing in it runs) to find the module's parameters and
 * buffers by their state-dict names, with the classes' {@code __parameters__} and {@code
 * __buffers__} declarations in {@code code/} saying which tensor attribute is which.
 *
 * <p>State goes back in by rewriting the storages of those tensors in a copy of the archive, which
 * libtorch then loads: libtorch offers no way to set a module's buffers from Java.
 */
final class TorchScriptArchive {
  /** The largest module accepted: it travels as one Kafka record. */
  static final int MAX_BYTES = io.streamtrain.config.Settings.MODULE_MAX_BYTES;

  private static final Pattern CLASS = Pattern.compile("^class\\s+(\\w+)\\s*\\(");
  private static final Pattern DECLARED =
      Pattern.compile("^\\s+__(parameters|buffers)__\\s*=\\s*\\[(.*)\\]");
  private static final Pattern QUOTED = Pattern.compile("\"([^\"]*)\"");

  /** One state-dict entry of the module: its name, its tensor in data.pkl, parameter or buffer. */
  record Slot(String name, PickleReader.TensorRef ref, boolean parameter) {
    long[] shape() {
      return ref.size().clone();
    }
  }

  private final String what;
  private final String prefix;
  private final LinkedHashMap<String, byte[]> entries;
  private final List<Slot> slots;

  private TorchScriptArchive(
      String what, String prefix, LinkedHashMap<String, byte[]> entries, List<Slot> slots) {
    this.what = what;
    this.prefix = prefix;
    this.entries = entries;
    this.slots = slots;
  }

  /**
   * Checks and reads the archive {@code bytes} ({@code what} names it in messages). Throws
   * IllegalArgumentException with a one-line reason for anything that is not a TorchScript archive
   * this reader understands.
   */
  static TorchScriptArchive read(byte[] bytes, String what) {
    if (bytes.length > MAX_BYTES) {
      throw new IllegalArgumentException(
          what
              + " is "
              + bytes.length
              + " bytes, over the limit of "
              + MAX_BYTES
              + " bytes ("
              + (MAX_BYTES >> 20)
              + " MiB) for a module");
    }
    if (bytes.length < 4 || bytes[0] != 'P' || bytes[1] != 'K') {
      throw notArchive(what, "it is not a zip archive");
    }
    LinkedHashMap<String, byte[]> entries = unzip(bytes, what);
    String prefix = null;
    for (String name : entries.keySet()) {
      int slash = name.indexOf('/');
      String top = slash < 0 ? "" : name.substring(0, slash + 1);
      if (top.isEmpty() || (prefix != null && !prefix.equals(top))) {
        throw notArchive(what, "its entries are not all under one top folder");
      }
      prefix = top;
    }
    String folder = prefix;
    if (folder == null
        || !entries.containsKey(prefix + "data.pkl")
        || !entries.containsKey(prefix + "version")
        || entries.keySet().stream().noneMatch(n -> n.startsWith(folder + "code/"))) {
      throw notArchive(what, "it lacks data.pkl, version or code/ (a torch.save file is not one)");
    }
    Object top;
    try {
      top = PickleReader.readModule(entries.get(prefix + "data.pkl"));
    } catch (PickleReader.PickleException e) {
      throw new IllegalArgumentException(what + ": data.pkl: " + e.getMessage(), e);
    }
    if (!(top instanceof PickleReader.ScriptObject module)) {
      throw notArchive(what, "its data.pkl holds no scripted module");
    }
    Map<String, Declared> classes = declarations(entries, prefix);
    List<Slot> parameters = new ArrayList<>();
    List<Slot> buffers = new ArrayList<>();
    walk(module, "", classes, parameters, buffers, 0);
    List<Slot> slots = new ArrayList<>(parameters);
    slots.addAll(buffers);
    TorchScriptArchive archive = new TorchScriptArchive(what, prefix, entries, slots);
    for (Slot slot : slots) {
      archive.checkSlot(slot);
    }
    return archive;
  }

  private static IllegalArgumentException notArchive(String what, String why) {
    return new IllegalArgumentException(
        what
            + " is not a TorchScript archive ("
            + why
            + "): save the module with torch.jit.script(model).save(path)");
  }

  /** The module's state entries: parameters in declaration order, then buffers. */
  List<Slot> slots() {
    return slots;
  }

  /** The values of this archive's state entries, as float32 (an int64 buffer converted). */
  List<float[]> values() {
    List<float[]> values = new ArrayList<>(slots.size());
    for (Slot slot : slots) {
      values.add(floats(slot));
    }
    return values;
  }

  /** The values of the entries named {@code names}, in that order (a module's own save). */
  List<float[]> values(List<String> names) {
    Map<String, Slot> byName = new HashMap<>();
    slots.forEach(s -> byName.put(s.name(), s));
    List<float[]> values = new ArrayList<>(names.size());
    for (String name : names) {
      Slot slot = byName.get(name);
      if (slot == null) {
        throw new IllegalStateException(what + " has no tensor " + name);
      }
      values.add(floats(slot));
    }
    return values;
  }

  /**
   * This archive with the state entries set to {@code values} (in {@link #slots()} order): the
   * bytes libtorch loads as the same module holding that state.
   */
  byte[] withValues(List<float[]> values) {
    if (values.size() != slots.size()) {
      throw new IllegalArgumentException(
          "module state of " + values.size() + " tensors, " + what + " has " + slots.size());
    }
    Map<String, byte[]> patched = new HashMap<>();
    for (int i = 0; i < slots.size(); i++) {
      Slot slot = slots.get(i);
      PickleReader.Storage storage = slot.ref().storage();
      byte[] data =
          patched.computeIfAbsent(storage.key(), k -> entries.get(prefix + "data/" + k).clone());
      float[] floats = values.get(i);
      long numel = Tensors.elements(slot.ref().size());
      if (floats.length != numel) {
        throw new IllegalArgumentException(
            slot.name() + " takes " + numel + " values, got " + floats.length);
      }
      int size = Tensors.elementSize(storage.dtype());
      ByteBuffer out =
          ByteBuffer.wrap(data, Math.toIntExact(slot.ref().offset() * size), floats.length * size)
              .order(ByteOrder.LITTLE_ENDIAN);
      if (Tensors.INT64.equals(storage.dtype())) {
        for (float value : floats) {
          out.putLong((long) value);
        }
      } else {
        out.asFloatBuffer().put(floats);
      }
    }
    PthFiles.ZipWriter zip = new PthFiles.ZipWriter();
    for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
      String key =
          entry.getKey().startsWith(prefix + "data/")
              ? entry.getKey().substring((prefix + "data/").length())
              : null;
      zip.add(
          entry.getKey(),
          key != null && patched.containsKey(key) ? patched.get(key) : entry.getValue());
    }
    return zip.finish();
  }

  private float[] floats(Slot slot) {
    PickleReader.Storage storage = slot.ref().storage();
    var tensor =
        PthFiles.contiguous(
            slot.name(), slot.ref(), entries.get(prefix + "data/" + storage.key()), what);
    if (Tensors.INT64.equals(storage.dtype())) {
      ByteBuffer data = tensor.getData().duplicate().order(ByteOrder.LITTLE_ENDIAN);
      float[] values = new float[data.remaining() / Long.BYTES];
      for (int i = 0; i < values.length; i++) {
        values[i] = data.getLong();
      }
      return values;
    }
    return Tensors.floats(tensor);
  }

  /** Only float32 state (and int64 buffers such as num_batches_tracked), contiguous, present. */
  private void checkSlot(Slot slot) {
    PickleReader.TensorRef ref = slot.ref();
    String dtype = ref.storage().dtype();
    boolean allowed =
        Tensors.FLOAT32.equals(dtype) || (!slot.parameter() && Tensors.INT64.equals(dtype));
    if (!allowed) {
      throw new IllegalArgumentException(
          what
              + ": "
              + slot.name()
              + " is "
              + dtype
              + "; only float32 parameters and float32 or int64 buffers can be trained here");
    }
    if (!Arrays.equals(PickleWriter.rowMajorStrides(ref.size()), ref.stride())
        && Tensors.elements(ref.size()) > 1) {
      throw new IllegalArgumentException(
          what + ": " + slot.name() + " is not a contiguous tensor; call .contiguous() on it");
    }
    byte[] storage = entries.get(prefix + "data/" + ref.storage().key());
    if (storage == null) {
      throw new IllegalArgumentException(
          what + " lacks the storage data/" + ref.storage().key() + " of " + slot.name());
    }
    long needed = (ref.offset() + Tensors.elements(ref.size())) * Tensors.elementSize(dtype);
    if (storage.length < needed) {
      throw new IllegalArgumentException(
          what + ": the storage of " + slot.name() + " is shorter than the tensor");
    }
  }

  /** What a class of code/ declares as its parameters and buffers. */
  private record Declared(Set<String> parameters, Set<String> buffers) {}

  private static void walk(
      PickleReader.ScriptObject object,
      String path,
      Map<String, Declared> classes,
      List<Slot> parameters,
      List<Slot> buffers,
      int depth) {
    if (depth > 100) {
      throw new IllegalArgumentException("the module nests deeper than 100 submodules");
    }
    Declared declared = classes.getOrDefault(object.className(), new Declared(Set.of(), Set.of()));
    for (Map.Entry<Object, Object> attribute : object.attributes().entrySet()) {
      if (attribute.getKey() instanceof String name
          && attribute.getValue() instanceof PickleReader.TensorRef ref) {
        if (declared.parameters().contains(name)) {
          parameters.add(new Slot(path + name, ref, true));
        } else if (declared.buffers().contains(name)) {
          buffers.add(new Slot(path + name, ref, false));
        }
      }
    }
    for (Map.Entry<Object, Object> attribute : object.attributes().entrySet()) {
      if (attribute.getKey() instanceof String name
          && attribute.getValue() instanceof PickleReader.ScriptObject child) {
        walk(child, path + name + ".", classes, parameters, buffers, depth + 1);
      }
    }
  }

  /**
   * Class name ({@code __torch__.torch.nn.modules.batchnorm.BatchNorm2d}) → its declarations, from
   * the files of code/ (code/__torch__/torch/nn/modules/batchnorm.py declares that class).
   */
  private static Map<String, Declared> declarations(Map<String, byte[]> entries, String prefix) {
    Map<String, Declared> classes = new HashMap<>();
    String code = prefix + "code/";
    for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
      String name = entry.getKey();
      if (!name.startsWith(code) || !name.endsWith(".py")) {
        continue;
      }
      String module = name.substring(code.length(), name.length() - 3).replace('/', '.');
      String current = null;
      Declared declared = null;
      for (String line : new String(entry.getValue(), StandardCharsets.UTF_8).split("\n")) {
        Matcher type = CLASS.matcher(line);
        if (type.find()) {
          current = module + "." + type.group(1);
          declared = new Declared(new java.util.HashSet<>(), new java.util.HashSet<>());
          classes.put(current, declared);
          continue;
        }
        Matcher list = DECLARED.matcher(line);
        if (declared != null && list.find()) {
          Set<String> target =
              list.group(1).equals("parameters") ? declared.parameters() : declared.buffers();
          Matcher quoted = QUOTED.matcher(list.group(2));
          while (quoted.find()) {
            target.add(quoted.group(1));
          }
        }
      }
    }
    return classes;
  }

  private static LinkedHashMap<String, byte[]> unzip(byte[] bytes, String what) {
    Path file;
    try {
      file = Files.createTempFile("streamtrain-module", ".pt");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make a temporary file: " + e.getMessage(), e);
    }
    try {
      Files.write(file, bytes);
      LinkedHashMap<String, byte[]> entries = new LinkedHashMap<>();
      long total = 0;
      try (ZipFile zip = new ZipFile(file.toFile())) {
        for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
          ZipEntry entry = e.nextElement();
          if (entry.isDirectory()) {
            continue;
          }
          // libtorch deflates code/ entries: bound what inflating may produce.
          byte[] data;
          try (java.io.InputStream in = zip.getInputStream(entry)) {
            data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, 2L * MAX_BYTES - total + 1));
          }
          total += data.length;
          if (total > 2L * MAX_BYTES) {
            throw notArchive(what, "its entries inflate to more than " + 2L * MAX_BYTES + " bytes");
          }
          entries.put(entry.getName(), data);
        }
      }
      return entries;
    } catch (ZipException e) {
      throw notArchive(what, "a damaged zip: " + e.getMessage());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + what + ": " + e.getMessage(), e);
    } finally {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        file.toFile().deleteOnExit();
      }
    }
  }
}
