package io.streamtrain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import io.streamtrain.config.SettingsLoader;
import io.streamtrain.model.InferenceModel;
import io.streamtrain.model.Learner;
import io.streamtrain.model.ModelSpec;
import io.streamtrain.model.OptimizerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RequestPathWarmupTest {
  @Test
  void shouldAnswerEverySyntheticRequestThroughThePredictionTopologyWithoutABroker(
      @TempDir Path stateDir) {
    Pipeline pipeline =
        new Pipeline(
            SettingsLoader.load(
                null,
                Map.of(),
                Map.of(
                    "bootstrap",
                    "localhost:1", // nothing listens: the warm-up must not need Kafka
                    "registry",
                    "mock://warmup-" + UUID.randomUUID(),
                    "state-dir",
                    stateDir.toString())));
    try (Learner learner =
            Learner.create(
                ModelSpec.parse("mlp:784-32-10"), OptimizerConfig.QUICKSTART, 42, Device.cpu());
        InferenceModel model = learner.toInferenceModel()) {
      RequestPathWarmup.Result result =
          RequestPathWarmup.run(pipeline, model, 16, Duration.ofMillis(5), 1_000);

      assertEquals(new RequestPathWarmup.Result(1_000, 0), result);
      // The model it warmed is the one that serves next: still open, not taken over.
      assertEquals(10, model.probabilities(new float[784], 1)[0].length);
    }
  }
}
