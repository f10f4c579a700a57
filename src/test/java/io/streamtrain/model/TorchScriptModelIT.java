package io.streamtrain.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.NamedTensor;
import io.streamtrain.testing.TorchScripts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's TorchScript module as a model, with modules that Debian's python3-torch scripts: the
 * module's own state-dict names, training with SGD and Adam, train/eval modes (BatchNorm statistics
 * move in training only, evaluation is deterministic despite Dropout), snapshots round-trip into a
 * served copy and a resumed learner, .pth export, and the one-line start-up checks. Skipped where
 * /usr/bin/python3 cannot import torch.
 */
class TorchScriptModelIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Device CPU = Device.cpu();

  @TempDir static Path dir;

  @BeforeAll
  static void needsTorch() throws Exception {
    TorchScripts.assumeTorch();
    for (String name : List.of("quickstart", "cnn_bn", "frozen", "wide_output")) {
      TorchScripts.make(dir, name);
    }
  }

  @Test
  void shouldTrainTheScriptedQuickstartUnderItsOwnNames() throws Exception {
    ModelSpec spec = ModelSpec.parse("torchscript:" + dir.resolve("quickstart.pt"));
    assertEquals(ModelSpec.Kind.TORCHSCRIPT, spec.kind());
    assertEquals(10, spec.numClasses());
    assertEquals(pytorchKeys("quickstart"), spec.parameterNames());
    assertEquals(6, spec.trainableCount());
    assertTrue(spec.toString().matches("torchscript:[0-9a-f]{64}@1x28x28"), spec.toString());
    assertEquals(spec, ModelSpec.parse(spec.toString()), "the hash form names the same module");

    float[] x = TestData.randomInputs(1, 64, 784);
    int[] y = TestData.randomLabels(2, 64, 10);
    for (OptimizerConfig optimizer :
        List.of(OptimizerConfig.sgd(0.05, 0.9, 0), OptimizerConfig.adam(1e-3, 0))) {
      try (Learner learner = Learner.create(spec, optimizer, 42, CPU)) {
        float first = learner.step(x, y, 64).loss();
        float last = first;
        for (int i = 0; i < 30; i++) {
          last = learner.step(x, y, 64).loss();
        }
        assertTrue(last < first * 0.5, optimizer.kind() + ": loss " + first + " -> " + last);
        assertEquals(31, learner.steps());
        try (InferenceModel served = learner.toInferenceModel()) {
          assertArrayEquals(
              learner.predictProbabilities(x, 4)[3], served.probabilities(x, 4)[3], 1e-6f);
        }
      }
    }
  }

  @Test
  void shouldKeepBatchNormStatisticsAndEvaluateInEvalMode() throws Exception {
    ModelSpec spec = ModelSpec.parse("torchscript:" + dir.resolve("cnn_bn.pt"));
    assertEquals(pytorchKeys("cnn_bn"), spec.parameterNames());
    float[] x = TestData.randomInputs(3, 32, 784);
    int[] y = TestData.randomLabels(4, 32, 10);
    try (Learner learner = Learner.create(spec, OptimizerConfig.adam(1e-3, 0), 42, CPU)) {
      List<NamedTensor> before = learner.stateDict();
      for (int i = 0; i < 5; i++) {
        learner.step(x, y, 32);
      }
      List<NamedTensor> after = learner.stateDict();
      NamedTensor tracked = find(after, "features.1.num_batches_tracked");
      assertEquals(5f, Tensors.floats(tracked)[0], "one BatchNorm update per training step");
      assertNotEquals(
          Tensors.floats(find(before, "features.1.running_mean"))[0],
          Tensors.floats(find(after, "features.1.running_mean"))[0]);

      Evaluation once = learner.evaluate(x, y, 32, 16);
      Evaluation twice = learner.evaluate(x, y, 32, 16);
      assertEquals(once.averageLoss(), twice.averageLoss(), "eval mode: no Dropout, no BN update");
      assertEquals(after.size(), learner.stateDict().size());
      assertEquals(
          Tensors.floats(tracked)[0],
          Tensors.floats(find(learner.stateDict(), "features.1.num_batches_tracked"))[0],
          "evaluation leaves the statistics alone");

      ModelSnapshot snapshot = StateDicts.snapshot(learner, "ts").build();
      assertEquals(spec.toString(), snapshot.getArchitecture());
      try (InferenceModel served = StateDicts.toInferenceModel(snapshot, CPU)) {
        assertEquals(once.averageLoss(), served.evaluate(x, y, 32, 16).averageLoss(), 1e-6);
      }
      try (Learner resumed = Learner.create(spec, OptimizerConfig.adam(1e-3, 0), 1, CPU)) {
        StateDicts.restore(resumed, snapshot);
        assertEquals(5, resumed.steps());
        assertEquals(
            StateDicts.sha256(learner.stateDict(), List.of()),
            StateDicts.sha256(resumed.stateDict(), List.of()),
            "the resumed module holds the same parameters and buffers");
        // Dropout draws from libtorch's one generator: the same draws for both next steps.
        Torch.engine().setRandomSeed(7);
        float expected = learner.step(x, y, 32).loss();
        Torch.engine().setRandomSeed(7);
        assertEquals(expected, resumed.step(x, y, 32).loss(), 1e-4f);
      }

      Path pth = dir.resolve("cnn_bn.pth");
      StateDictFiles.save(snapshot, pth);
      String out = python("state", "cnn_bn", pth.toString());
      JsonNode sums = JSON.readTree(out.strip().lines().reduce((a, b) -> b).orElseThrow());
      assertEquals(5.0, sums.get("features.1.num_batches_tracked").asDouble(), out);

      // train --init-from: the exported file starts a learner holding the same state.
      try (Learner fromFile = Learner.create(spec, OptimizerConfig.adam(1e-3, 0), 1, CPU)) {
        StateDicts.restore(fromFile, StateDictFiles.load(pth, spec));
        assertEquals(
            StateDicts.sha256(snapshot.getTensors(), List.of()),
            StateDicts.sha256(fromFile.stateDict(), List.of()));
      }
    }
  }

  @Test
  void shouldTrainTorchvisionModelsAndHandThemBackToTheirOwnClasses() throws Exception {
    float[] x = TestData.randomInputs(5, 8, 3 * 32 * 32);
    int[] y = TestData.randomLabels(6, 8, 10);
    for (String name : List.of("mobilenet_v3_small", "resnet18")) {
      TorchScripts.make(dir, name);
      ModelSpec spec = ModelSpec.parse("torchscript:" + dir.resolve(name + ".pt") + "@3x32x32");
      assertEquals(pytorchKeys(name), spec.parameterNames(), name);
      assertEquals(10, spec.numClasses());
      try (Learner learner = Learner.create(spec, OptimizerConfig.adam(1e-3, 0), 42, CPU)) {
        for (int i = 0; i < 2; i++) {
          assertTrue(Float.isFinite(learner.step(x, y, 8).loss()), name);
        }
        ModelSnapshot snapshot = StateDicts.snapshot(learner, name).build();
        try (InferenceModel served = StateDicts.toInferenceModel(snapshot, CPU)) {
          assertArrayEquals(
              learner.predictProbabilities(x, 8)[7], served.probabilities(x, 8)[7], 1e-5f, name);
        }
        Path pth = dir.resolve(name + "-trained.pth");
        StateDictFiles.save(snapshot, pth);
        String out = python("state", name, pth.toString()); // load_state_dict(strict=True)
        JsonNode buffers = JSON.readTree(out.strip().lines().reduce((a, b) -> b).orElseThrow());
        String tracked =
            spec.parameterNames().stream()
                .filter(n -> n.endsWith("num_batches_tracked"))
                .reduce((a, b) -> b)
                .orElseThrow();
        assertEquals(2.0, buffers.get(tracked).asDouble(), out);
      }
    }
  }

  @Test
  void shouldRefuseWhatCannotBeTrainedWithOneLine() throws Exception {
    Path text = dir.resolve("notes.pt");
    Files.writeString(text, "not a module");
    assertOneLine(
        assertThrows(IllegalArgumentException.class, () -> ModelSpec.parse("torchscript:" + text)),
        "is not a TorchScript archive");
    Path stateDict = dir.resolve("state.pt");
    try (Learner learner = TestData.learner("mlp:784-10", OptimizerConfig.QUICKSTART, 1)) {
      StateDictFiles.save(StateDicts.snapshot(learner, "m").build(), stateDict); // a torch.save
    }
    assertOneLine(
        assertThrows(
            IllegalArgumentException.class, () -> ModelSpec.parse("torchscript:" + stateDict)),
        "is not a TorchScript archive");
    assertOneLine(
        assertThrows(
            IllegalArgumentException.class,
            () -> ModelSpec.parse("torchscript:" + dir.resolve("frozen.pt"))),
        "has no trainable parameter");
    assertOneLine(
        assertThrows(
            IllegalArgumentException.class,
            () -> ModelSpec.parse("torchscript:" + dir.resolve("wide_output.pt"))),
        "[batch, classes]");
    IllegalArgumentException shape =
        assertThrows(
            IllegalArgumentException.class,
            () -> ModelSpec.parse("torchscript:" + dir.resolve("quickstart.pt") + "@3x32x32"));
    assertOneLine(shape, "[2, 3, 32, 32] fails");
    assertTrue(shape.getMessage().contains("shapes cannot be multiplied"), shape.getMessage());
    assertOneLine(
        assertThrows(
            IllegalArgumentException.class,
            () -> TorchScriptArchive.read(new byte[TorchScriptArchive.MAX_BYTES + 1], "module m")),
        "over the limit of " + TorchScriptArchive.MAX_BYTES);
  }

  @Test
  void shouldRefuseASnapshotOfAnotherModule() {
    ModelSpec quickstart = ModelSpec.parse("torchscript:" + dir.resolve("quickstart.pt"));
    ModelSpec cnn = ModelSpec.parse("torchscript:" + dir.resolve("cnn_bn.pt"));
    try (Learner a = Learner.create(quickstart, OptimizerConfig.QUICKSTART, 1, CPU);
        Learner b = Learner.create(cnn, OptimizerConfig.QUICKSTART, 1, CPU)) {
      ModelSnapshot snapshot = StateDicts.snapshot(a, "m").build();
      SnapshotRejectedException e =
          assertThrows(SnapshotRejectedException.class, () -> StateDicts.restore(b, snapshot));
      assertTrue(e.getMessage().contains(quickstart.toString()), e.getMessage());
    }
  }

  private static void assertOneLine(Exception e, String expected) {
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
  }

  private static NamedTensor find(List<NamedTensor> tensors, String name) {
    return tensors.stream().filter(t -> t.getName().equals(name)).findFirst().orElseThrow();
  }

  /** PyTorch's state-dict keys, parameters first then buffers, as the spec lists them. */
  private static List<String> pytorchKeys(String name) throws IOException {
    List<String> parameters = new ArrayList<>();
    List<String> buffers = new ArrayList<>();
    for (JsonNode entry : JSON.readTree(dir.resolve(name + ".keys.json").toFile())) {
      String key = entry.get(0).asText();
      (key.contains("running_") || key.endsWith("num_batches_tracked") ? buffers : parameters)
          .add(key);
    }
    parameters.addAll(buffers);
    return parameters;
  }

  static String python(String mode, String... args) throws IOException, InterruptedException {
    return TorchScripts.run(dir, mode, args);
  }
}
