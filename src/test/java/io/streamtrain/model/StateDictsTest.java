package io.streamtrain.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.NamedTensor;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateDictsTest {
  private static final String SPEC = "mlp:784-16-10";

  private static Learner trained(OptimizerConfig config, int steps) {
    Learner learner = TestData.learner(SPEC, config, 9);
    for (int i = 0; i < steps; i++) {
      learner.step(TestData.randomInputs(i, 8, 784), TestData.randomLabels(i, 8, 10), 8);
    }
    return learner;
  }

  @Test
  void shouldReadLiveTensorsInPlaceAsTheCopyHasThemAtAnyOffset() {
    try (Learner learner = trained(OptimizerConfig.adam(1e-3, 0), 2)) {
      ModelSnapshot whole = StateDicts.snapshot(learner, "m").build();
      List<LiveTensor> live = new ArrayList<>(learner.liveStateDict());
      live.addAll(learner.liveOptimizerState());
      List<NamedTensor> copies = new ArrayList<>(whole.getTensors());
      copies.addAll(whole.getOptimizerState());
      assertEquals(copies.size(), live.size());
      StateDicts.Checksum checksum = new StateDicts.Checksum();
      for (int i = 0; i < copies.size(); i++) {
        NamedTensor copy = copies.get(i);
        LiveTensor tensor = live.get(i);
        assertEquals(copy.getName(), tensor.name());
        assertEquals(copy.getShape(), tensor.shape());
        assertEquals(copy.getDtype(), tensor.dtype());
        byte[] expected = new byte[copy.getData().remaining()];
        copy.getData().duplicate().get(expected);
        assertEquals(expected.length, tensor.bytes());
        // In odd pieces that cut through float32 elements.
        byte[] read = new byte[expected.length];
        for (int offset = 0; offset < read.length; offset += 7) {
          tensor.read(offset, read, offset, Math.min(7, read.length - offset));
        }
        assertArrayEquals(expected, read, copy.getName());
        checksum.tensor(tensor.name(), tensor.dtype(), tensor.shape(), tensor.bytes());
        checksum.data(read, 0, read.length);
      }
      assertEquals(whole.getSha256(), checksum.hex(), "the SHA-256 of the copy, fed piecewise");
    }
  }

  @Test
  void shouldNameTensorsLikeThePyTorchQuickstartStateDict() {
    try (Learner learner = TestData.learner("mlp:784-512-512-10", OptimizerConfig.QUICKSTART, 1)) {
      ModelSnapshot snapshot = StateDicts.snapshot(learner, "fmnist").build();
      List<String> names = snapshot.getTensors().stream().map(NamedTensor::getName).toList();
      assertEquals(
          List.of(
              "linear_relu_stack.0.weight", "linear_relu_stack.0.bias",
              "linear_relu_stack.2.weight", "linear_relu_stack.2.bias",
              "linear_relu_stack.4.weight", "linear_relu_stack.4.bias"),
          names);
      assertEquals(List.of(512L, 784L), snapshot.getTensors().get(0).getShape());
      assertEquals("float32", snapshot.getTensors().get(0).getDtype());
      assertEquals("mlp:784-512-512-10", snapshot.getArchitecture());
      assertEquals(64, snapshot.getSha256().length());
      assertTrue(snapshot.getOptimizerState().isEmpty());
    }
  }

  @Test
  void shouldRoundTripBitwiseAndContinueIdentically() throws Exception {
    for (OptimizerConfig config :
        List.of(OptimizerConfig.sgd(0.05, 0.9, 1e-4), OptimizerConfig.adam(1e-3, 0))) {
      try (Learner original = trained(config, 5);
          Learner restored = TestData.learner(SPEC, config, 12345)) {
        ModelSnapshot snapshot =
            StateDicts.snapshot(original, "m")
                .epoch(2)
                .inputOffsets(Map.of("train.feed-0", 40L))
                .metrics(Map.of("loss", 1.5))
                .build();
        assertEquals(5, snapshot.getVersion());
        // Through the Avro binary encoding, as on the topic.
        ModelSnapshot decoded = ModelSnapshot.fromByteBuffer(snapshot.toByteBuffer());
        StateDicts.restore(restored, decoded);
        assertEquals(5, restored.steps());
        assertArrayEquals(
            TestData.bytes(original.stateDict()), TestData.bytes(restored.stateDict()));
        assertArrayEquals(
            TestData.bytes(original.optimizerState()), TestData.bytes(restored.optimizerState()));
        assertEquals(40L, decoded.getInputOffsets().get("train.feed-0"));
        for (int i = 10; i < 13; i++) {
          float[] x = TestData.randomInputs(i, 8, 784);
          int[] labels = TestData.randomLabels(i, 8, 10);
          assertEquals(original.step(x, labels, 8), restored.step(x, labels, 8));
        }
        assertArrayEquals(
            TestData.bytes(original.stateDict()), TestData.bytes(restored.stateDict()));
      }
    }
  }

  @Test
  void shouldRefuseASnapshotWithAFlippedByte() throws Exception {
    try (Learner learner = trained(OptimizerConfig.sgd(0.05, 0.9, 0), 12);
        Learner target = TestData.learner(SPEC, OptimizerConfig.sgd(0.05, 0.9, 0), 3)) {
      byte[] before = TestData.bytes(target.stateDict());
      ModelSnapshot snapshot = StateDicts.snapshot(learner, "X").build();
      ByteBuffer data = snapshot.getTensors().get(2).getData();
      data.put(data.position() + 7, (byte) (data.get(data.position() + 7) ^ 0x01));
      SnapshotRejectedException e =
          assertThrows(SnapshotRejectedException.class, () -> StateDicts.restore(target, snapshot));
      assertEquals(
          "snapshot of model X version 12 fails its SHA-256 check: refusing to load",
          e.getMessage());
      assertArrayEquals(before, TestData.bytes(target.stateDict()));
      assertThrows(
          SnapshotRejectedException.class,
          () -> StateDicts.toInferenceModel(snapshot, Device.cpu()));
    }
  }

  @Test
  void shouldRefuseATensorWhoseShapeDeclaresMoreThanItsBytesWithoutAllocatingIt() {
    try (Learner learner = trained(OptimizerConfig.adam(1e-3, 0), 2);
        Learner target = TestData.learner(SPEC, OptimizerConfig.adam(1e-3, 0), 3)) {
      byte[] before = TestData.bytes(target.stateDict());
      List<List<Long>> lies =
          List.of(
              List.of(40_000L, 40_000L), // 6.4 GB of float32 for 64 bytes
              List.of(1L << 32, 1L << 32), // a product that overflows to 0
              List.of(-4L, -4L)); // negative dimensions whose product looks right
      for (boolean optimizer : List.of(false, true)) {
        for (List<Long> shape : lies) {
          ModelSnapshot snapshot = StateDicts.snapshot(learner, "X").build();
          List<NamedTensor> tensors =
              optimizer ? snapshot.getOptimizerState() : snapshot.getTensors();
          NamedTensor lying = tensors.get(1);
          lying.setShape(shape);
          lying.setData(ByteBuffer.wrap(new byte[64]));
          // Rechecksummed: the shape check, not the SHA-256, must refuse it.
          snapshot.setSha256(
              StateDicts.sha256(snapshot.getTensors(), snapshot.getOptimizerState()));

          SnapshotRejectedException e =
              assertThrows(
                  SnapshotRejectedException.class, () -> StateDicts.restore(target, snapshot));
          assertTrue(
              e.getMessage().contains("of shape " + shape + " float32")
                  && e.getMessage().endsWith("but it holds 64 bytes: refusing to load"),
              e.getMessage());
          assertThrows(
              SnapshotRejectedException.class,
              () -> StateDicts.toInferenceModel(snapshot, Device.cpu()));
        }
      }
      assertArrayEquals(before, TestData.bytes(target.stateDict()));
    }
  }

  @Test
  void shouldRefuseASnapshotOfAnotherArchitecture() {
    try (Learner learner = trained(OptimizerConfig.QUICKSTART, 1);
        Learner other = TestData.learner("mlp:784-32-10", OptimizerConfig.QUICKSTART, 3)) {
      ModelSnapshot snapshot = StateDicts.snapshot(learner, "X").build();
      SnapshotRejectedException e =
          assertThrows(SnapshotRejectedException.class, () -> StateDicts.restore(other, snapshot));
      assertTrue(
          e.getMessage().contains("is a mlp:784-16-10 but this model is a mlp:784-32-10"),
          e.getMessage());
    }
  }

  @Test
  void shouldRefuseToSnapshotNonFiniteParameters() {
    try (Learner learner = TestData.learner(SPEC, OptimizerConfig.QUICKSTART, 3)) {
      List<float[]> values = new ArrayList<>();
      for (NamedTensor tensor : learner.stateDict()) {
        values.add(Tensors.floats(tensor));
      }
      values.get(1)[0] = Float.POSITIVE_INFINITY;
      learner.restore(values, List.of(), 7);
      assertTrue(!learner.parametersFinite());
      SnapshotRejectedException e =
          assertThrows(
              SnapshotRejectedException.class, () -> StateDicts.snapshot(learner, "X").build());
      assertEquals(
          "model X version 7 has NaN/Inf in linear_relu_stack.0.bias: refusing to snapshot it",
          e.getMessage());
    }
  }

  @Test
  void shouldSaveAndLoadAModelFile(@TempDir Path dir) throws Exception {
    try (Learner learner = trained(OptimizerConfig.adam(1e-3, 0), 3)) {
      Path file = dir.resolve("model.params");
      StateDicts.save(StateDicts.snapshot(learner, "fmnist").epoch(5).build(), file);
      ModelSnapshot loaded = StateDicts.load(file);
      assertEquals(5, loaded.getEpoch());
      float[] x = TestData.randomInputs(77, 3, 784);
      try (InferenceModel model = StateDicts.toInferenceModel(loaded, Device.cpu())) {
        assertEquals(3, model.version());
        assertArrayEquals(learner.predictProbabilities(x, 3), model.probabilities(x, 3));
      }
      byte[] bytes = Files.readAllBytes(file);
      bytes[bytes.length / 2] ^= 0x10;
      Files.write(file, bytes);
      RuntimeException e = assertThrows(RuntimeException.class, () -> StateDicts.load(file));
      assertTrue(
          e.getMessage().contains("SHA-256") || e.getMessage().contains("not a readable"),
          e.getMessage());
    }
  }
}
