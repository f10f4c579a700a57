package io.streamtrain.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.NamedTensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Model files in the format their extension names: {@code .pth}/{@code .pt} (what {@code
 * torch.save(model.state_dict(), path)} writes and {@code torch.load} reads), {@code .safetensors},
 * and anything else as streamtrain's own model file ({@link StateDicts#save}/{@link
 * StateDicts#load}, which also keeps the optimizer state and the run's lineage).
 *
 * <p>A PyTorch file holds the state dict only: saving drops the optimizer state, and loading one
 * gives a snapshot at version 0 whose architecture is the given spec, the one a .safetensors file
 * written by streamtrain names in its metadata, or the MLP its keys describe. Every key and shape
 * is checked against that architecture; errors are IllegalArgumentExceptions with a one-line
 * message naming the file and the first thing wrong.
 */
public final class StateDictFiles {
  static final String META_ARCHITECTURE = "streamtrain.architecture";
  static final String META_MODEL_NAME = "streamtrain.model_name";
  static final String META_VERSION = "streamtrain.version";
  static final String META_EPOCH = "streamtrain.epoch";
  static final String META_TRANSFORMS = "streamtrain.transforms";
  static final String META_CLASS_NAMES = "streamtrain.class_names";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String NUM_BATCHES_TRACKED = ".num_batches_tracked";

  private StateDictFiles() {}

  /** The file formats, chosen by extension. */
  public enum Format {
    PTH,
    SAFETENSORS,
    STREAMTRAIN;

    /** {@code .pth}/{@code .pt} → PTH, {@code .safetensors} → SAFETENSORS, else STREAMTRAIN. */
    public static Format of(Path file) {
      String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
      if (name.endsWith(".pth") || name.endsWith(".pt")) {
        return PTH;
      }
      if (name.endsWith(".safetensors")) {
        return SAFETENSORS;
      }
      return STREAMTRAIN;
    }
  }

  /** Writes {@code snapshot} to {@code file} in the format of its extension, atomically. */
  public static void save(ModelSnapshot snapshot, Path file) {
    Format format = Format.of(file);
    if (format == Format.STREAMTRAIN) {
      StateDicts.save(snapshot, file);
      return;
    }
    StateDicts.verify(snapshot);
    byte[] bytes;
    List<NamedTensor> tensors = toPyTorch(snapshot.getTensors());
    if (format == Format.PTH) {
      bytes = PthFiles.write(tensors);
    } else {
      Map<String, String> metadata = new LinkedHashMap<>();
      metadata.put("format", "pt");
      metadata.put(META_ARCHITECTURE, snapshot.getArchitecture());
      metadata.put(META_MODEL_NAME, snapshot.getModelName());
      metadata.put(META_VERSION, Long.toString(snapshot.getVersion()));
      metadata.put(META_EPOCH, Integer.toString(snapshot.getEpoch()));
      metadata.put(META_TRANSFORMS, snapshot.getTransforms());
      try {
        metadata.put(META_CLASS_NAMES, JSON.writeValueAsString(snapshot.getClassNames()));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("cannot write class names as JSON", e);
      }
      bytes = SafetensorsFiles.write(tensors, metadata);
    }
    Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      Files.write(temporary, bytes);
      // Readers never see a half-written file.
      Files.move(
          temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write model file " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads {@code file} in the format of its extension. A PyTorch file's architecture comes from its
   * metadata (streamtrain's .safetensors) or else from its keys (an MLP).
   */
  public static ModelSnapshot load(Path file) {
    return load(file, null);
  }

  /**
   * Reads {@code file} as a model of architecture {@code expected} (null: as in {@link
   * #load(Path)}), refusing it with a line naming the first key or shape that does not match.
   */
  public static ModelSnapshot load(Path file, ModelSpec expected) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("model file " + file + " does not exist");
    }
    Format format = Format.of(file);
    if (format == Format.STREAMTRAIN) {
      ModelSnapshot snapshot = StateDicts.load(file);
      if (expected != null && !expected.toString().equals(snapshot.getArchitecture())) {
        throw new IllegalArgumentException(
            "model file "
                + file
                + " holds a "
                + snapshot.getArchitecture()
                + ", not a "
                + expected);
      }
      return snapshot;
    }
    List<NamedTensor> tensors;
    Map<String, String> metadata;
    if (format == Format.PTH) {
      tensors = PthFiles.read(file);
      metadata = Map.of();
    } else {
      SafetensorsFiles.Contents contents = SafetensorsFiles.read(file);
      tensors = contents.tensors();
      metadata = contents.metadata();
    }
    ModelSpec spec = expected != null ? expected : architecture(file, tensors, metadata);
    List<NamedTensor> ordered = matching(file, tensors, spec);
    String modelName = metadata.getOrDefault(META_MODEL_NAME, stem(file));
    long version = number(file, metadata, META_VERSION);
    Instant createdAt;
    try {
      createdAt = Files.getLastModifiedTime(file).toInstant();
    } catch (IOException e) {
      createdAt = Instant.now();
    }
    return ModelSnapshot.newBuilder()
        .setModelName(modelName)
        .setVersion(version)
        .setEpoch((int) number(file, metadata, META_EPOCH))
        .setCreatedAt(createdAt)
        .setArchitecture(spec.toString())
        .setTensors(ordered)
        .setOptimizerState(new ArrayList<>())
        .setSha256(StateDicts.sha256(ordered, List.of()))
        .setInputOffsets(new LinkedHashMap<>())
        .setMetrics(new LinkedHashMap<>())
        .setTransforms(metadata.getOrDefault(META_TRANSFORMS, ""))
        .setClassNames(classNames(file, metadata))
        .build();
  }

  /** The class names a streamtrain .safetensors carries (a JSON array of strings), else none. */
  private static List<String> classNames(Path file, Map<String, String> metadata) {
    String text = metadata.get(META_CLASS_NAMES);
    if (text == null) {
      return new ArrayList<>();
    }
    try {
      return new ArrayList<>(List.of(JSON.readValue(text, String[].class)));
    } catch (JsonProcessingException | NullPointerException e) {
      throw new IllegalArgumentException(
          "model file "
              + file
              + " has metadata "
              + META_CLASS_NAMES
              + " that is not a JSON array"
              + " of strings");
    }
  }

  /** num_batches_tracked is an int64 scalar in PyTorch; snapshots keep every entry float32. */
  private static List<NamedTensor> toPyTorch(List<NamedTensor> tensors) {
    List<NamedTensor> converted = new ArrayList<>(tensors.size());
    for (NamedTensor tensor : tensors) {
      if (tensor.getName().endsWith(NUM_BATCHES_TRACKED)
          && Tensors.FLOAT32.equals(tensor.getDtype())
          && tensor.getShape().isEmpty()) {
        tensor = Tensors.int64Scalar(tensor.getName(), (long) Tensors.floats(tensor)[0]);
      }
      converted.add(tensor);
    }
    return converted;
  }

  private static ModelSpec architecture(
      Path file, List<NamedTensor> tensors, Map<String, String> metadata) {
    String named = metadata.get(META_ARCHITECTURE);
    try {
      if (named != null) {
        return ModelSpec.parse(named);
      }
      Map<String, long[]> shapes = new LinkedHashMap<>();
      tensors.forEach(t -> shapes.put(t.getName(), Tensors.shape(t)));
      return StateDictArchitecture.of(shapes);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("model file " + file + ": " + e.getMessage(), e);
    }
  }

  /** {@code tensors} in {@code spec}'s order, each checked for name, shape and dtype. */
  private static List<NamedTensor> matching(Path file, List<NamedTensor> tensors, ModelSpec spec) {
    Map<String, NamedTensor> byName = new LinkedHashMap<>();
    tensors.forEach(t -> byName.put(t.getName(), t));
    List<String> names = spec.parameterNames();
    List<long[]> shapes = spec.parameterShapes();
    List<NamedTensor> ordered = new ArrayList<>(names.size());
    for (int i = 0; i < names.size(); i++) {
      NamedTensor tensor = byName.remove(names.get(i));
      String expected = Arrays.toString(shapes.get(i));
      if (tensor == null) {
        throw new IllegalArgumentException(
            "model file "
                + file
                + " lacks "
                + names.get(i)
                + " ("
                + spec
                + " needs shape "
                + expected
                + ")");
      }
      if (!Arrays.equals(shapes.get(i), Tensors.shape(tensor))) {
        throw new IllegalArgumentException(
            "model file "
                + file
                + " has "
                + names.get(i)
                + " of shape "
                + tensor.getShape()
                + " where "
                + spec
                + " expects "
                + expected);
      }
      if (names.get(i).endsWith(NUM_BATCHES_TRACKED) && Tensors.INT64.equals(tensor.getDtype())) {
        tensor =
            Tensors.float32(names.get(i), new long[0], new float[] {Tensors.int64Value(tensor)});
      }
      if (!Tensors.FLOAT32.equals(tensor.getDtype())) {
        throw new IllegalArgumentException(
            "model file "
                + file
                + " has "
                + names.get(i)
                + " as "
                + tensor.getDtype()
                + "; streamtrain models are float32 (save model.float().state_dict())");
      }
      ordered.add(tensor);
    }
    if (!byName.isEmpty()) {
      NamedTensor extra = byName.values().iterator().next();
      throw new IllegalArgumentException(
          "model file "
              + file
              + " has "
              + extra.getName()
              + " of shape "
              + extra.getShape()
              + ", which "
              + spec
              + " does not have");
    }
    return ordered;
  }

  private static long number(Path file, Map<String, String> metadata, String key) {
    String text = metadata.get(key);
    if (text == null) {
      return 0;
    }
    try {
      long value = Long.parseLong(text);
      if (value < 0 || (key.equals(META_EPOCH) && value > Integer.MAX_VALUE)) {
        throw new NumberFormatException();
      }
      return value;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "model file " + file + " has metadata " + key + " = '" + text + "', not a count");
    }
  }

  private static String stem(Path file) {
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dot > 0 ? name.substring(0, dot) : name;
  }
}
