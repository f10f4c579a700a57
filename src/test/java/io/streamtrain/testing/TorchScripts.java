package io.streamtrain.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

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
    // It imports the quickstart's NeuralNetwork from torch_state_dict.py, beside it.
    Python.script(dir, "torch_state_dict.py");
    List<String> all = new ArrayList<>(List.of(mode, dir.toString()));
    all.addAll(List.of(args));
    return Python.run(Python.script(dir, "torchscript_modules.py"), all.toArray(String[]::new));
  }
}
