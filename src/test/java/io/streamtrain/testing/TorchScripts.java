package io.streamtrain.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * PyTorch's side of the torchscript: tests: {@code python/torchscript_modules.py} run by Debian's
 * python3-torch in a test's directory, to script modules and to load what streamtrain exports.
 */
public final class TorchScripts {
  private TorchScripts() {}

  /** Skips the calling test class, with the reason, where python3 cannot import torch. */
  public static void assumeTorch() {
    assumeTrue(
        Python.imports(Duration.ofSeconds(120), "torch"),
        Python.PATH + " cannot import torch (apt-get install python3-torch to run this test)");
  }

  /** Scripts module {@code name} after torch.manual_seed(0) into {@code dir}/NAME.pt. */
  public static Path make(Path dir, String name) throws IOException, InterruptedException {
    String out = run(dir, "make", name);
    assertTrue(out.contains("saved"), out);
    return dir.resolve(name + ".pt");
  }

  /**
   * Runs the script's {@code mode} for {@code dir} with {@code args}; its output, exit 0 checked.
   */
  public static String run(Path dir, String mode, String... args)
      throws IOException, InterruptedException {
    Path script = dir.resolve("torchscript_modules.py");
    // It imports the quickstart's NeuralNetwork from torch_state_dict.py, beside it.
    for (String name : List.of("torchscript_modules.py", "torch_state_dict.py")) {
      Path copy = dir.resolve(name);
      if (!Files.exists(copy)) {
        try (InputStream in = TorchScripts.class.getResourceAsStream("/python/" + name)) {
          Files.copy(in, copy);
        }
      }
    }
    List<String> command = new ArrayList<>(List.of(Python.PATH, script.toString(), mode));
    command.add(dir.toString());
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out;
    try (InputStream stdout = process.getInputStream()) {
      out = new String(stdout.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertTrue(process.waitFor(300, TimeUnit.SECONDS), "python timed out");
    assertEquals(0, process.exitValue(), out);
    return out;
  }
}
