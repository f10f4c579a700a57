package io.streamtrain.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** The system's python3, for the ITs that check what Python clients and PyTorch make of ours. */
public final class Python {
  public static final String PATH = "/usr/bin/python3";

  private Python() {}

  /**
   * Whether python3 exists and imports every one of {@code modules} within {@code timeout}: the
   * tests that need them assume this rather than fail where they are not installed.
   */
  public static boolean imports(Duration timeout, String... modules) {
    if (!Files.isExecutable(Path.of(PATH))) {
      return false;
    }
    try {
      Process probe =
          new ProcessBuilder(PATH, "-c", "import " + String.join(", ", modules))
              .redirectErrorStream(true)
              .start();
      probe.getInputStream().readAllBytes();
      return probe.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) && probe.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
