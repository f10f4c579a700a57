package io.streamtrain.model;

import ai.djl.Device;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.NamedTensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * The codec between a {@link Learner} and a {@link ModelSnapshot}: PyTorch-named float32 tensors
 * (linear_relu_stack.0.weight ...) plus optimizer state, guarded by a SHA-256.
 *
 * <p>The checksum is SHA-256 over {@code tensors} then {@code optimizerState}, each tensor fed as:
 * int32 LE length + UTF-8 name, int32 LE length + UTF-8 dtype, int32 LE rank, int64 LE per
 * dimension, int64 LE byte count, the little-endian data bytes. It is hex (lower case).
 *
 * <p>Model files ({@link #save}/{@link #load}, our torch.save(state_dict) counterpart) are Avro
 * object container files holding one ModelSnapshot: the same bytes and checksum as the topic,
 * self-describing (any Avro reader, e.g. fastavro, can rebuild a PyTorch state dict from the
 * names), and carrying architecture and optimizer state that DJL's .params format lacks.
 */
public final class StateDicts {
  // Bytes per element of the dtypes a state dict may hold, by PyTorch's names.
  private static final Map<String, Integer> DTYPE_BYTES =
      Map.of(
          "float64",
          8,
          "int64",
          8,
          "float32",
          4,
          "int32",
          4,
          "float16",
          2,
          "bfloat16",
          2,
          "int16",
          2,
          "int8",
          1,
          "uint8",
          1,
          "bool",
          1);

  private StateDicts() {}

  /** Starts a snapshot of {@code learner}'s current state; the trainer adds its lineage fields. */
  public static SnapshotBuilder snapshot(Learner learner, String modelName) {
    return new SnapshotBuilder(learner, modelName);
  }

  /** Builder for the caller-owned fields of a ModelSnapshot. */
  public static final class SnapshotBuilder {
    private final Learner learner;
    private final String modelName;
    private long version;
    private int epoch;
    private Instant createdAt = Instant.now();
    private Map<String, Long> inputOffsets = Map.of();
    private Map<String, Double> metrics = Map.of();
    private String transforms = "";
    private List<String> classNames = List.of();

    private SnapshotBuilder(Learner learner, String modelName) {
      this.learner = learner;
      this.modelName = modelName;
      this.version = learner.steps();
    }

    /** Defaults to {@link Learner#steps()}. */
    public SnapshotBuilder version(long version) {
      this.version = version;
      return this;
    }

    public SnapshotBuilder epoch(int epoch) {
      this.epoch = epoch;
      return this;
    }

    public SnapshotBuilder createdAt(Instant createdAt) {
      this.createdAt = createdAt;
      return this;
    }

    /** topic-partition → next offset this model does not yet reflect. */
    public SnapshotBuilder inputOffsets(Map<String, Long> inputOffsets) {
      this.inputOffsets = inputOffsets;
      return this;
    }

    public SnapshotBuilder metrics(Map<String, Double> metrics) {
      this.metrics = metrics;
      return this;
    }

    /** The image transforms training applies ({@code --transforms}); "" for none. */
    public SnapshotBuilder transforms(String transforms) {
      this.transforms = transforms;
      return this;
    }

    /** Class names by label ("" where unknown). */
    public SnapshotBuilder classNames(List<String> classNames) {
      this.classNames = classNames;
      return this;
    }

    /**
     * Everything but the state: no tensors, no optimizer state, no SHA-256 yet. A snapshot that
     * streams its state from {@link Learner#liveStateDict()} sets the SHA-256 a {@link Checksum}
     * computed as the tensors went by. The caller checked the parameters finite ({@link
     * Learner#parametersFinite()}).
     */
    public ModelSnapshot buildHeader() {
      return ModelSnapshot.newBuilder()
          .setModelName(modelName)
          .setVersion(version)
          .setEpoch(epoch)
          .setCreatedAt(createdAt)
          .setArchitecture(learner.spec().toString())
          .setTensors(List.of())
          .setOptimizerState(List.of())
          .setSha256("")
          .setInputOffsets(new LinkedHashMap<>(inputOffsets))
          .setMetrics(new LinkedHashMap<>(metrics))
          .setTransforms(transforms)
          .setClassNames(new ArrayList<>(classNames))
          .build();
    }

    /** Copies the state and checksums it; refuses a model with NaN/Inf parameters. */
    public ModelSnapshot build() {
      List<NamedTensor> tensors = learner.stateDict();
      for (NamedTensor tensor : tensors) {
        for (float value : Tensors.floats(tensor)) {
          if (!Float.isFinite(value)) {
            throw new SnapshotRejectedException(
                "model "
                    + modelName
                    + " version "
                    + version
                    + " has NaN/Inf in "
                    + tensor.getName()
                    + ": refusing to snapshot it");
          }
        }
      }
      List<NamedTensor> optimizerState = learner.optimizerState();
      ModelSnapshot snapshot = buildHeader();
      snapshot.setTensors(tensors);
      snapshot.setOptimizerState(optimizerState);
      snapshot.setSha256(sha256(tensors, optimizerState));
      return snapshot;
    }
  }

  /** The hex SHA-256 over tensors then optimizer state (see class comment for the layout). */
  public static String sha256(List<NamedTensor> tensors, List<NamedTensor> optimizerState) {
    Checksum checksum = new Checksum();
    for (List<NamedTensor> list : List.of(tensors, optimizerState)) {
      for (NamedTensor tensor : list) {
        ByteBuffer data = tensor.getData().duplicate();
        checksum.tensor(tensor.getName(), tensor.getDtype(), tensor.getShape(), data.remaining());
        checksum.digest.update(data);
      }
    }
    return checksum.hex();
  }

  /**
   * {@link #sha256} fed one tensor at a time, its data in as many pieces as it comes in: for a
   * snapshot whose tensors stream by and are never all in memory.
   */
  public static final class Checksum {
    private final MessageDigest digest = newDigest();
    private final ByteBuffer header = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

    /** Starts the next tensor (tensors, then optimizer state, in snapshot order). */
    public void tensor(String name, String dtype, List<Long> shape, long bytes) {
      updateString(digest, header, name);
      updateString(digest, header, dtype);
      digest.update(header.clear().putInt(shape.size()).array(), 0, 4);
      for (long dim : shape) {
        digest.update(header.clear().putLong(dim).array(), 0, 8);
      }
      digest.update(header.clear().putLong(bytes).array(), 0, 8);
    }

    /** The next bytes of the current tensor's data. */
    public void data(byte[] bytes, int off, int len) {
      digest.update(bytes, off, len);
    }

    /** The hex SHA-256 of everything fed. */
    public String hex() {
      return HexFormat.of().formatHex(digest.digest());
    }
  }

  private static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
  }

  private static void updateString(MessageDigest digest, ByteBuffer header, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    digest.update(header.clear().putInt(bytes.length).array(), 0, 4);
    digest.update(bytes);
  }

  /**
   * Throws SnapshotRejectedException unless every tensor's shape matches its bytes and the stored
   * SHA-256 matches the content.
   */
  public static void verify(ModelSnapshot snapshot) {
    checkShapes(snapshot);
    String actual = sha256(snapshot.getTensors(), snapshot.getOptimizerState());
    if (!actual.equalsIgnoreCase(snapshot.getSha256())) {
      throw new SnapshotRejectedException(
          describe(snapshot) + " fails its SHA-256 check: refusing to load");
    }
  }

  /**
   * Checks that each tensor's shape, times its dtype's size, is exactly the bytes it holds: what a
   * snapshot declares then never makes a reader allocate more than the snapshot's own size.
   */
  private static void checkShapes(ModelSnapshot snapshot) {
    for (List<NamedTensor> list : List.of(snapshot.getTensors(), snapshot.getOptimizerState())) {
      for (NamedTensor tensor : list) {
        int itemBytes = DTYPE_BYTES.getOrDefault(tensor.getDtype(), 0);
        if (itemBytes == 0) {
          throw new SnapshotRejectedException(
              describe(snapshot)
                  + " has tensor "
                  + tensor.getName()
                  + " of unknown dtype '"
                  + tensor.getDtype()
                  + "': refusing to load");
        }
        long bytes = itemBytes;
        for (long dim : tensor.getShape()) {
          if (dim < 0 || (dim > 0 && bytes > Long.MAX_VALUE / dim)) {
            bytes = -1;
            break;
          }
          bytes *= dim;
        }
        int held = tensor.getData().remaining();
        if (bytes != held) {
          throw new SnapshotRejectedException(
              describe(snapshot)
                  + " has tensor "
                  + tensor.getName()
                  + " of shape "
                  + tensor.getShape()
                  + " "
                  + tensor.getDtype()
                  + ", which "
                  + (bytes < 0 ? "is not a valid size" : "needs " + bytes + " bytes")
                  + ", but it holds "
                  + held
                  + " bytes: refusing to load");
        }
      }
    }
  }

  /**
   * Verifies {@code snapshot} (checksum, architecture, tensor names and shapes, finite values) and
   * loads parameters, optimizer state and version into {@code learner}. Nothing changes on failure.
   */
  public static void restore(Learner learner, ModelSnapshot snapshot) {
    List<float[]> parameters = checkedParameters(snapshot, learner.spec());
    learner.restore(parameters, snapshot.getOptimizerState(), snapshot.getVersion());
  }

  /** A verified read-only model from {@code snapshot} on {@code device}, for serving. */
  public static InferenceModel toInferenceModel(ModelSnapshot snapshot, Device device) {
    ModelSpec spec;
    try {
      spec = ModelSpec.parse(snapshot.getArchitecture());
    } catch (IllegalArgumentException e) {
      throw new SnapshotRejectedException(
          describe(snapshot) + " has an unknown architecture '" + snapshot.getArchitecture() + "'");
    }
    List<float[]> parameters = checkedParameters(snapshot, spec);
    return InferenceModel.of(spec, parameters, snapshot.getVersion(), device)
        .labelled(snapshot.getTransforms(), snapshot.getClassNames());
  }

  private static List<float[]> checkedParameters(ModelSnapshot snapshot, ModelSpec spec) {
    verify(snapshot);
    if (!spec.toString().equals(snapshot.getArchitecture())) {
      throw new SnapshotRejectedException(
          describe(snapshot)
              + " is a "
              + snapshot.getArchitecture()
              + " but this model is a "
              + spec
              + ": refusing to load (use the matching model or start from scratch)");
    }
    List<String> names = spec.parameterNames();
    List<long[]> shapes = spec.parameterShapes();
    List<NamedTensor> tensors = snapshot.getTensors();
    if (tensors.size() != names.size()) {
      throw new SnapshotRejectedException(
          describe(snapshot)
              + " has "
              + tensors.size()
              + " tensors, "
              + spec
              + " needs "
              + names.size()
              + ": refusing to load");
    }
    List<float[]> values = new ArrayList<>(names.size());
    for (int i = 0; i < names.size(); i++) {
      NamedTensor tensor = tensors.get(i);
      if (!names.get(i).equals(tensor.getName())
          || !java.util.Arrays.equals(shapes.get(i), Tensors.shape(tensor))
          || !Tensors.FLOAT32.equals(tensor.getDtype())) {
        throw new SnapshotRejectedException(
            describe(snapshot)
                + " has tensor "
                + tensor.getName()
                + " "
                + tensor.getShape()
                + " "
                + tensor.getDtype()
                + " where "
                + spec
                + " expects "
                + names.get(i)
                + " "
                + java.util.Arrays.toString(shapes.get(i))
                + " float32: refusing to load");
      }
      float[] floats = Tensors.floats(tensor);
      for (float value : floats) {
        if (!Float.isFinite(value)) {
          throw new SnapshotRejectedException(
              describe(snapshot) + " has NaN/Inf in " + tensor.getName() + ": refusing to load");
        }
      }
      values.add(floats);
    }
    return values;
  }

  private static String describe(ModelSnapshot snapshot) {
    return "snapshot of model " + snapshot.getModelName() + " version " + snapshot.getVersion();
  }

  /** Writes {@code snapshot} as a model file (an Avro container with one ModelSnapshot). */
  public static void save(ModelSnapshot snapshot, Path file) {
    Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
    try (DataFileWriter<ModelSnapshot> writer =
        new DataFileWriter<>(new SpecificDatumWriter<>(ModelSnapshot.class))) {
      writer.create(ModelSnapshot.getClassSchema(), temporary.toFile());
      writer.append(snapshot);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write model file " + file + ": " + e.getMessage(), e);
    }
    try {
      // Readers never see a half-written file.
      Files.move(
          temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write model file " + file + ": " + e.getMessage(), e);
    }
  }

  /** Reads and verifies (SHA-256) a model file written by {@link #save}. */
  public static ModelSnapshot load(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("model file " + file + " does not exist");
    }
    ModelSnapshot snapshot;
    try (DataFileReader<ModelSnapshot> reader =
        new DataFileReader<>(file.toFile(), new SpecificDatumReader<>(ModelSnapshot.class))) {
      if (!reader.hasNext()) {
        throw new IllegalArgumentException("model file " + file + " holds no snapshot");
      }
      snapshot = reader.next();
    } catch (IOException | RuntimeException e) {
      if (e instanceof IllegalArgumentException) {
        throw (IllegalArgumentException) e;
      }
      throw new IllegalArgumentException(
          "model file " + file + " is not a readable streamtrain model file: " + e.getMessage(), e);
    }
    verify(snapshot);
    return snapshot;
  }
}
