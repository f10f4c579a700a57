package io.streamtrain.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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

  /** The test resource {@code python/<name>} copied into {@code dir} (once), where it runs. */
  public static Path script(Path dir, String name) throws IOException {
    Path copy = dir.resolve(name);
    if (!Files.exists(copy)) {
      try (InputStream in = Python.class.getResourceAsStream("/python/" + name)) {
        Files.copy(in, copy);
      }
    }
    return copy;
  }

  /**
   * Runs {@code script} with {@code args} and returns its output (stdout and stderr); fails the
   * test unless it exits 0 within 300 s.
   */
  public static String run(Path script, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(PATH, script.toString()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out;
    try (InputStream stdout = process.getInputStream()) {
      out = new String(stdout.readAllBytes(), StandardCharsets.UTF_8);
    }
    if (!process.waitFor(300, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(script.getFileName() + " did not finish: " + out);
    }
    if (process.exitValue() != 0) {
      throw new AssertionError(
          script.getFileName()
              + " "
              + String.join(" ", args)
              + " exited "
              + process.exitValue()
              + ": "
              + out);
    }
    return out;
  }
}
