package io.streamtrain.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.NamedTensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class StateDictFilesTest {
  private static final String SPEC = "mlp:784-16-10";
  @TempDir Path dir;

  private static ModelSnapshot trainedSnapshot() {
    try (Learner learner = TestData.learner(SPEC, OptimizerConfig.QUICKSTART, 3)) {
      for (int i = 0; i < 3; i++) {
        learner.step(TestData.randomInputs(i, 8, 784), TestData.randomLabels(i, 8, 10), 8);
      }
      return StateDicts.snapshot(learner, "fmnist").epoch(2).build();
    }
  }

  @Test
  void shouldCarryTransformsAndClassNamesInSafetensorsAndModelFilesButNotInPth() {
    ModelSnapshot original =
        ModelSnapshot.newBuilder(trainedSnapshot())
            .setTransforms("resize:28x28,gray")
            .setClassNames(List.of("a \"quoted\" name", "", "c"))
            .build();
    for (String name : List.of("model.safetensors", "model.params", "model.pth")) {
      Path file = dir.resolve(name);
      StateDictFiles.save(original, file);
      ModelSnapshot loaded = StateDictFiles.load(file);
      boolean carried = !name.endsWith(".pth");
      assertEquals(carried ? "resize:28x28,gray" : "", loaded.getTransforms(), name);
      assertEquals(carried ? original.getClassNames() : List.of(), loaded.getClassNames(), name);
    }
  }

  @Test
  void shouldChooseTheFormatByExtension() {
    assertEquals(StateDictFiles.Format.PTH, StateDictFiles.Format.of(Path.of("a/model.pth")));
    assertEquals(StateDictFiles.Format.PTH, StateDictFiles.Format.of(Path.of("model.PT")));
    assertEquals(
        StateDictFiles.Format.SAFETENSORS, StateDictFiles.Format.of(Path.of("m.safetensors")));
    assertEquals(StateDictFiles.Format.STREAMTRAIN, StateDictFiles.Format.of(Path.of("m.params")));
  }

  @Test
  void shouldRoundTripEachFormatIntoALearnerThatContinuesIdentically() throws Exception {
    ModelSnapshot original = trainedSnapshot();
    for (String name : List.of("model.pth", "model.safetensors", "model.params")) {
      Path file = dir.resolve(name);
      StateDictFiles.save(original, file);
      ModelSnapshot loaded = StateDictFiles.load(file);
      assertEquals(SPEC, loaded.getArchitecture(), name);
      assertArrayEquals(
          TestData.bytes(original.getTensors()), TestData.bytes(loaded.getTensors()), name);
      StateDicts.verify(loaded);
      if (!name.endsWith(".pth")) {
        assertEquals(original.getVersion(), loaded.getVersion(), name);
        assertEquals("fmnist", loaded.getModelName(), name);
      } else {
        assertEquals(0, loaded.getVersion(), "a .pth carries no version");
        assertEquals("model", loaded.getModelName());
      }
      try (Learner a = TestData.learner(SPEC, OptimizerConfig.QUICKSTART, 1);
          Learner b = TestData.learner(SPEC, OptimizerConfig.QUICKSTART, 2)) {
        StateDicts.restore(a, original);
        StateDicts.restore(b, loaded);
        float[] x = TestData.randomInputs(50, 8, 784);
        int[] labels = TestData.randomLabels(50, 8, 10);
        assertEquals(a.step(x, labels, 8).loss(), b.step(x, labels, 8).loss(), name);
        assertArrayEquals(TestData.bytes(a.stateDict()), TestData.bytes(b.stateDict()), name);
      }
    }
    assertFalse(Files.exists(dir.resolve("model.pth.tmp")));
  }

  @Test
  void shouldReadKeysInAnyOrderAndKeepPyTorchsOrder() throws Exception {
    ModelSnapshot original = trainedSnapshot();
    List<NamedTensor> reversed = new ArrayList<>(original.getTensors());
    java.util.Collections.reverse(reversed);
    Path file = dir.resolve("reversed.safetensors");
    Files.write(file, SafetensorsFiles.write(reversed, java.util.Map.of()));
    ModelSnapshot loaded = StateDictFiles.load(file);
    assertEquals(SPEC, loaded.getArchitecture(), "inferred from the keys");
    assertArrayEquals(TestData.bytes(original.getTensors()), TestData.bytes(loaded.getTensors()));
  }

  @Test
  void shouldNameTheFirstMismatchedKeyWithBothShapes() throws Exception {
    Path file = dir.resolve("m.pth");
    StateDictFiles.save(trainedSnapshot(), file);
    String message = refusal(() -> StateDictFiles.load(file, ModelSpec.parse("mlp:784-32-10")));
    assertTrue(message.contains("linear_relu_stack.0.weight of shape [16, 784]"), message);
    assertTrue(message.contains("expects [32, 784]"), message);

    String extra = refusal(() -> StateDictFiles.load(file, ModelSpec.parse("mlp:784-16")));
    assertTrue(extra.contains("linear_relu_stack.2.weight of shape [10, 16], which"), extra);

    Path foreign = dir.resolve("foreign.pth");
    Files.write(
        foreign,
        PthFiles.write(List.of(Tensors.float32("conv1.weight", new long[] {1}, new float[] {1}))));
    String unknown = refusal(() -> StateDictFiles.load(foreign));
    assertTrue(
        unknown.contains("cannot tell the architecture") && unknown.contains("conv1"), unknown);
  }

  @Test
  void shouldRefuseFloat64TensorsWithAHint() throws Exception {
    List<NamedTensor> tensors = new ArrayList<>();
    tensors.add(
        new NamedTensor(
            "linear_relu_stack.0.weight",
            List.of(1L, 1L),
            "float64",
            java.nio.ByteBuffer.wrap(new byte[8])));
    tensors.add(Tensors.float32("linear_relu_stack.0.bias", new long[] {1}, new float[] {0}));
    Path file = dir.resolve("double.pth");
    Files.write(file, PthFiles.write(tensors));
    String message = refusal(() -> StateDictFiles.load(file));
    assertTrue(message.contains("float64") && message.contains("model.float()"), message);
  }

  @Test
  void shouldSayWhenTheFileIsMissing() {
    String message = refusal(() -> StateDictFiles.load(dir.resolve("none.safetensors")));
    assertTrue(message.contains("does not exist"), message);
  }

  /** The message of the IllegalArgumentException {@code load} fails with. */
  private static String refusal(Executable load) {
    return assertThrows(IllegalArgumentException.class, load).getMessage();
  }
}
