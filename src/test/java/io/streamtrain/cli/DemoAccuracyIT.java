package io.streamtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamtrain.data.FashionMnist;
import io.streamtrain.model.StateDicts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Accuracy on real Fashion-MNIST through the whole demo (embedded broker, produce, replay,
 * train, evaluate, save, load, predict): a subset and the good preset keep it fast.
 */
class DemoAccuracyIT {
  private static final Path DATA = Path.of("/usr/share/datasets/fashion-mnist");
  @TempDir Path dir;

  @Test
  void shouldReachEightyPercentOnTheTestSetWithTheGoodPresetOnASubset() throws Exception {
    assumeTrue(
        FashionMnist.findFiles(DATA).isPresent(),
        "needs Debian's dataset-fashion-mnist (installed by .ci/run)");
    Path saved = dir.resolve("model.params");
    CommandLine.Result r =
        CommandLine.run(
            "demo", "--epochs", "2", "--limit", "12000", "--preset", "good", "--json",
            "--data", DATA.toString(), "--save", saved.toString());
    assertEquals(0, r.exitCode(), r.err());

    String json = r.out().lines().filter(l -> l.startsWith("{\"epochs\"")).findFirst().orElseThrow();
    JsonNode epochs = new ObjectMapper().readTree(json).get("epochs");
    assertEquals(2, epochs.size());
    double first = epochs.get(0).get("accuracy").asDouble();
    double second = epochs.get(1).get("accuracy").asDouble();
    assertTrue(second >= 0.80, "test accuracy after epoch 2: " + second);
    assertTrue(second >= first, "accuracy rises: " + first + " -> " + second);

    // The quickstart's output format, and the saved state dict loads with its checksum.
    assertTrue(r.out().contains("Epoch 2\n-------------------------------"), r.out());
    assertTrue(Pattern.compile("Test Error: \\n Accuracy: \\d+\\.\\d%, Avg loss: \\d+\\.\\d{6} ").matcher(r.out()).find(), r.out());
    assertTrue(
        Pattern.compile("Predicted: \"[^\"]+\", Actual: \"Ankle boot\"").matcher(r.out()).find(), r.out());
    assertTrue(Files.size(saved) > 2_600_000);
    assertEquals(StateDicts.load(saved).getVersion(), 2 * (12000 / 64 + 1));
  }
}
