package io.streamtrain.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.NamedTensor;
import io.streamtrain.testing.Python;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * State dicts both ways with real PyTorch (Debian's python3-torch), for the quickstart's own
 * NeuralNetwork and PyTorch modules equal to cnn:small and resnet18-cifar: PyTorch saves with
 * torch.save and streamtrain loads it; streamtrain saves .pth and .safetensors and PyTorch loads
 * them with load_state_dict (torch.load with weights_only=True, the safe loader). Every tensor is
 * compared bit for bit, buffers included, and the models' eval-mode outputs within float error.
 * Skipped where /usr/bin/python3 cannot import torch.
 */
class PyTorchStateDictIT {
  private static final String PYTHON = Python.PATH;
  private static final int BATCH = 8;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> KEYS =
      List.of(
          "linear_relu_stack.0.weight",
          "linear_relu_stack.0.bias",
          "linear_relu_stack.2.weight",
          "linear_relu_stack.2.bias",
          "linear_relu_stack.4.weight",
          "linear_relu_stack.4.bias");

  @TempDir Path dir;

  @BeforeAll
  static void needsTorch() {
    assumeTrue(
        Python.imports(Duration.ofSeconds(120), "torch"),
        PYTHON + " cannot import torch (apt-get install python3-torch to run this test)");
  }

  @ParameterizedTest
  @CsvSource({
    "quickstart, mlp:784-512-512-10, 1e-5",
    "cnn_small, cnn:small, 1e-4",
    "resnet18_cifar, resnet18-cifar, 1e-4"
  })
  void shouldLoadWhatPyTorchSavesBitForBit(String arch, String specText, double tolerance)
      throws Exception {
    ModelSpec spec = ModelSpec.parse(specText);
    String out = python("save", arch);
    assertTrue(out.contains("saved"), out);
    // PyTorch's own keys and shapes are the spec's, buffers included.
    Map<String, List<Long>> pytorchKeys = new LinkedHashMap<>();
    for (JsonNode entry : JSON.readTree(dir.resolve("keys.json").toFile())) {
      List<Long> shape = new ArrayList<>();
      entry.get(1).forEach(dim -> shape.add(dim.asLong()));
      pytorchKeys.put(entry.get(0).asText(), shape);
    }
    Map<String, List<Long>> ours = new LinkedHashMap<>();
    for (int i = 0; i < spec.parameterNames().size(); i++) {
      ours.put(spec.parameterNames().get(i), Tensors.shapeList(spec.parameterShapes().get(i)));
    }
    assertEquals(new TreeMap<>(pytorchKeys), new TreeMap<>(ours));
    if (arch.equals("quickstart")) {
      assertEquals(KEYS, List.copyOf(pytorchKeys.keySet()));
    }

    float[] x = floats(Files.readAllBytes(dir.resolve("x.bin")));
    float[] expected = floats(Files.readAllBytes(dir.resolve("probs.bin")));
    int classes = spec.numClasses();
    for (String name : List.of("pytorch.pth", "pytorch.safetensors")) {
      ModelSnapshot snapshot = StateDictFiles.load(dir.resolve(name));
      assertEquals(spec.toString(), snapshot.getArchitecture(), name + ": told from its keys");
      assertEquals(spec.parameterNames(), names(snapshot.getTensors()), name);
      for (NamedTensor tensor : snapshot.getTensors()) {
        assertArrayEquals(
            raw(tensor.getName()), pytorchBytes(tensor), name + " " + tensor.getName());
      }
      // The loaded model computes what PyTorch computed with it (eval mode).
      try (InferenceModel model = StateDicts.toInferenceModel(snapshot, Device.cpu())) {
        float[][] probabilities = model.probabilities(x, BATCH);
        for (int i = 0; i < BATCH; i++) {
          for (int c = 0; c < classes; c++) {
            assertEquals(
                expected[i * classes + c], probabilities[i][c], tolerance, name + " row " + i);
          }
        }
      }
    }
    // Strided views, a storage shared by two tensors, int64 and float16: made contiguous.
    List<NamedTensor> views = PthFiles.read(dir.resolve("views.pth"));
    assertEquals(List.of("transposed", "slice", "same_storage", "count", "half"), names(views));
    assertEquals(List.of(4L, 3L), views.get(0).getShape());
    assertEquals(List.of(), views.get(3).getShape());
    assertEquals("int64", views.get(3).getDtype());
    assertEquals("float16", views.get(4).getDtype());
    for (NamedTensor tensor : views) {
      assertArrayEquals(raw(tensor.getName()), Tensors.bytes(tensor), tensor.getName());
    }
  }

  @ParameterizedTest
  @CsvSource({
    "quickstart, mlp:784-512-512-10",
    "cnn_small, cnn:small",
    "resnet18_cifar, resnet18-cifar"
  })
  void shouldWriteFilesThatPyTorchLoads(String arch, String specText) throws Exception {
    ModelSpec spec = ModelSpec.parse(specText);
    int features = spec.inputFeatures();
    ModelSnapshot snapshot;
    float[] x = TestData.randomInputs(11, BATCH, features);
    float[][] probabilities;
    try (Learner learner = Learner.create(spec, OptimizerConfig.QUICKSTART, 42, Device.cpu())) {
      for (int i = 0; i < 2; i++) {
        learner.step(TestData.randomInputs(i, 4, features), TestData.randomLabels(i, 4, 10), 4);
      }
      snapshot = StateDicts.snapshot(learner, "fmnist").build();
      probabilities = learner.predictProbabilities(x, BATCH);
    }
    StateDictFiles.save(snapshot, dir.resolve("streamtrain.pth"));
    StateDictFiles.save(snapshot, dir.resolve("streamtrain.safetensors"));
    Files.createDirectories(dir.resolve("raw"));
    for (NamedTensor tensor : snapshot.getTensors()) {
      Files.write(dir.resolve("raw").resolve(tensor.getName() + ".bin"), pytorchBytes(tensor));
    }
    Files.write(dir.resolve("x.bin"), littleEndian(x));
    int classes = spec.numClasses();
    float[] flat = new float[BATCH * classes];
    for (int i = 0; i < BATCH; i++) {
      System.arraycopy(probabilities[i], 0, flat, i * classes, classes);
    }
    Files.write(dir.resolve("probs.bin"), littleEndian(flat));

    String out = python("load", arch);
    assertEquals("ok", out.strip(), out);
  }

  private static List<String> names(List<NamedTensor> tensors) {
    return tensors.stream().map(NamedTensor::getName).toList();
  }

  /** The bytes PyTorch holds: num_batches_tracked is int64 there, float32 in a snapshot. */
  private static byte[] pytorchBytes(NamedTensor tensor) {
    if (tensor.getName().endsWith(".num_batches_tracked")) {
      long count = (long) Tensors.floats(tensor)[0];
      return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(count).array();
    }
    return Tensors.bytes(tensor);
  }

  private String python(String mode, String arch) throws IOException, InterruptedException {
    return Python.run(Python.script(dir, "torch_state_dict.py"), mode, dir.toString(), arch);
  }

  private byte[] raw(String key) throws IOException {
    return Files.readAllBytes(dir.resolve("raw").resolve(key + ".bin"));
  }

  private static float[] floats(byte[] bytes) {
    float[] values = new float[bytes.length / Float.BYTES];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
    return values;
  }

  private static byte[] littleEndian(float[] values) {
    ByteBuffer buffer =
        ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    buffer.asFloatBuffer().put(values);
    return buffer.array();
  }
}
