package io.streamtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.streamtrain.data.FashionMnist;
import io.streamtrain.testing.Python;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quickstart's habits on what {@code demo} saves: by default a {@code model.pth} that the
 * quickstart's own NeuralNetwork loads with {@code torch.load(..., weights_only=True)} and whose
 * test loop (Debian's python3-torch and torchvision) prints the demo's last accuracy; and {@code
 * evaluate --snapshot model.pth --data DIR} printing it too with no broker anywhere.
 */
class QuickstartModelFileIT {
  private static final Path DATA = Path.of("/usr/share/datasets/fashion-mnist");
  private static final Pattern TEST_ERROR =
      Pattern.compile("Test Error: \\n Accuracy: (\\d+\\.\\d)%, Avg loss: (\\d+\\.\\d{6}) ");

  @TempDir Path dir;

  @Test
  void shouldSaveModelPthByDefault() {
    DemoCommand demo = new DemoCommand();
    new picocli.CommandLine(demo).parseArgs();
    assertEquals(Path.of("model.pth"), demo.save);
  }

  @Test
  void shouldSaveAPthThatTheQuickstartLoadsAndEvaluateItWithoutABroker() throws Exception {
    assumeTrue(
        FashionMnist.findFiles(DATA).isPresent(),
        "needs Debian's dataset-fashion-mnist (installed by .ci/run)");
    Path saved = dir.resolve("model.pth");
    CommandLine.Result demo =
        CommandLine.run(
            "demo", "--epochs", "1", "--limit", "6000", "--data", DATA.toString(),
            "--save", saved.toString());
    assertEquals(0, demo.exitCode(), demo.err());
    assertTrue(demo.out().contains("Saved PyTorch Model State to " + saved + "\n"), demo.out());
    String[] demoResult = lastTestError(demo.out());

    // No broker: a port nothing listens on, which evaluate must never try.
    long start = System.nanoTime();
    CommandLine.Result evaluate =
        CommandLine.run(
            "evaluate", "--snapshot", saved.toString(), "--data", DATA.toString(),
            "--bootstrap", "localhost:1");
    double seconds = (System.nanoTime() - start) / 1e9;
    assertEquals(0, evaluate.exitCode(), evaluate.err());
    assertEquals(List.of(demoResult), List.of(lastTestError(evaluate.out())), evaluate.out());
    System.err.printf("evaluate --snapshot model.pth --data: %.1f s%n", seconds);

    assumeTrue(
        Python.imports(Duration.ofSeconds(120), "torch", "torchvision"),
        Python.PATH + " lacks torch or torchvision (apt-get install python3-torch python3-torchvision)");
    String quickstart = quickstartTest(saved);
    String[] pythonResult = lastTestError(quickstart);
    assertEquals(demoResult[0], pythonResult[0], "accuracy: " + quickstart);
    // Same weights, same batches; only float summation order may differ between the two PyTorchs.
    assertEquals(
        Double.parseDouble(demoResult[1]), Double.parseDouble(pythonResult[1]), 1e-5, quickstart);
  }

  /** {accuracy, avg loss} of the last "Test Error:" block of {@code out}. */
  private static String[] lastTestError(String out) {
    Matcher m = TEST_ERROR.matcher(out);
    String[] last = null;
    while (m.find()) {
      last = new String[] {m.group(1), m.group(2)};
    }
    assertTrue(last != null, "no Test Error line in: " + out);
    return last;
  }

  private String quickstartTest(Path model) throws IOException, InterruptedException {
    Path script = dir.resolve("quickstart_test.py");
    try (InputStream in = getClass().getResourceAsStream("/python/quickstart_test.py")) {
      Files.copy(in, script);
    }
    Path log = dir.resolve("quickstart.log");
    Process process =
        new ProcessBuilder(
                Python.PATH,
                script.toString(),
                model.toString(),
                DATA.toString(),
                dir.resolve("torchvision").toString())
            .redirectError(log.toFile())
            .start();
    String out;
    try (InputStream stdout = process.getInputStream()) {
      out = new String(stdout.readAllBytes(), StandardCharsets.UTF_8);
    }
    if (!process.waitFor(300, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("quickstart_test.py did not finish: " + Files.readString(log));
    }
    assertEquals(0, process.exitValue(), "quickstart_test.py: " + Files.readString(log));
    return out;
  }
}
