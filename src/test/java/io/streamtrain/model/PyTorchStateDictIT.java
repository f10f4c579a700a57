package io.streamtrain.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.NamedTensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * State dicts both ways with real PyTorch (Debian's python3-torch): the quickstart's own
 * NeuralNetwork saves with torch.save and streamtrain loads it; streamtrain saves .pth and
 * .safetensors and the quickstart's model loads them with load_state_dict (torch.load with
 * weights_only=True, the safe loader). Every tensor is compared bit for bit. Skipped where
 * /usr/bin/python3 cannot import torch.
 */
class PyTorchStateDictIT {
  private static final String PYTHON = "/usr/bin/python3";
  private static final int BATCH = 8;
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
        pythonImportsTorch(),
        PYTHON + " cannot import torch (apt-get install python3-torch to run this test)");
  }

  @Test
  void shouldLoadWhatPyTorchSavesBitForBit() throws Exception {
    String out = python("save");
    assertTrue(out.contains("saved"), out);
    for (String name : List.of("quickstart.pth", "quickstart.safetensors")) {
      ModelSnapshot snapshot = StateDictFiles.load(dir.resolve(name));
      assertEquals("mlp:784-512-512-10", snapshot.getArchitecture(), name);
      assertEquals(KEYS, snapshot.getTensors().stream().map(NamedTensor::getName).toList(), name);
      assertEquals(List.of(512L, 784L), snapshot.getTensors().get(0).getShape());
      for (NamedTensor tensor : snapshot.getTensors()) {
        assertArrayEquals(raw(tensor.getName()), bytes(tensor), name + " " + tensor.getName());
      }
      // The loaded model computes what PyTorch computed with it.
      float[] x = floats(Files.readAllBytes(dir.resolve("x.bin")));
      float[] expected = floats(Files.readAllBytes(dir.resolve("probs.bin")));
      try (InferenceModel model = StateDicts.toInferenceModel(snapshot, Device.cpu())) {
        float[][] probabilities = model.probabilities(x, BATCH);
        for (int i = 0; i < BATCH; i++) {
          for (int c = 0; c < 10; c++) {
            assertEquals(expected[i * 10 + c], probabilities[i][c], 1e-5, name + " row " + i);
          }
        }
      }
    }
    // Strided views, a storage shared by two tensors, int64 and float16: made contiguous.
    List<NamedTensor> views = PthFiles.read(dir.resolve("views.pth"));
    assertEquals(
        List.of("transposed", "slice", "same_storage", "count", "half"),
        views.stream().map(NamedTensor::getName).toList());
    assertEquals(List.of(4L, 3L), views.get(0).getShape());
    assertEquals(List.of(), views.get(3).getShape());
    assertEquals("int64", views.get(3).getDtype());
    assertEquals("float16", views.get(4).getDtype());
    for (NamedTensor tensor : views) {
      assertArrayEquals(raw(tensor.getName()), bytes(tensor), tensor.getName());
    }
  }

  @Test
  void shouldWriteFilesThatThePyTorchQuickstartLoads() throws Exception {
    ModelSnapshot snapshot;
    float[] x = TestData.randomInputs(11, BATCH, 784);
    float[][] probabilities;
    try (Learner learner =
        Learner.create(ModelSpec.QUICKSTART, OptimizerConfig.QUICKSTART, 42, Device.cpu())) {
      for (int i = 0; i < 3; i++) {
        learner.step(TestData.randomInputs(i, 16, 784), TestData.randomLabels(i, 16, 10), 16);
      }
      snapshot = StateDicts.snapshot(learner, "fmnist").build();
      probabilities = learner.predictProbabilities(x, BATCH);
    }
    StateDictFiles.save(snapshot, dir.resolve("streamtrain.pth"));
    StateDictFiles.save(snapshot, dir.resolve("streamtrain.safetensors"));
    Files.createDirectories(dir.resolve("raw"));
    for (NamedTensor tensor : snapshot.getTensors()) {
      Files.write(dir.resolve("raw").resolve(tensor.getName() + ".bin"), bytes(tensor));
    }
    Files.write(dir.resolve("x.bin"), littleEndian(x));
    float[] flat = new float[BATCH * 10];
    for (int i = 0; i < BATCH; i++) {
      System.arraycopy(probabilities[i], 0, flat, i * 10, 10);
    }
    Files.write(dir.resolve("probs.bin"), littleEndian(flat));

    String out = python("load");
    assertEquals("ok", out.strip(), out);
  }

  private String python(String mode) throws IOException, InterruptedException {
    Path script = dir.resolve("torch_state_dict.py");
    if (!Files.exists(script)) {
      try (InputStream in = getClass().getResourceAsStream("/python/torch_state_dict.py")) {
        Files.copy(in, script);
      }
    }
    Process process =
        new ProcessBuilder(PYTHON, script.toString(), mode, dir.toString())
            .redirectErrorStream(true)
            .start();
    String out;
    try (InputStream stdout = process.getInputStream()) {
      out = new String(stdout.readAllBytes(), StandardCharsets.UTF_8);
    }
    if (!process.waitFor(300, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("python " + mode + " did not finish: " + out);
    }
    assertEquals(0, process.exitValue(), "python " + mode + " said: " + out);
    return out;
  }

  private byte[] raw(String key) throws IOException {
    return Files.readAllBytes(dir.resolve("raw").resolve(key + ".bin"));
  }

  private static byte[] bytes(NamedTensor tensor) {
    ByteBuffer data = tensor.getData().duplicate();
    byte[] bytes = new byte[data.remaining()];
    data.get(bytes);
    return bytes;
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

  private static boolean pythonImportsTorch() {
    if (!Files.isExecutable(Path.of(PYTHON))) {
      return false;
    }
    try {
      Process probe =
          new ProcessBuilder(PYTHON, "-c", "import torch").redirectErrorStream(true).start();
      probe.getInputStream().readAllBytes();
      return probe.waitFor(120, TimeUnit.SECONDS) && probe.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
