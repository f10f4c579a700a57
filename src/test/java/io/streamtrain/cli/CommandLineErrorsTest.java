package io.streamtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Bad input ends in one clear line on stderr and a non-zero exit, never a stack trace. */
class CommandLineErrorsTest {
  @TempDir Path dir;

  private static void assertOneLineError(CommandLine.Result r, String expectedFragment) {
    assertNotEquals(0, r.exitCode(), r.err());
    String[] lines = r.err().strip().split("\n");
    String last = lines[lines.length - 1];
    assertTrue(last.startsWith("streamtrain: "), r.err());
    assertTrue(last.contains(expectedFragment), "expected '" + expectedFragment + "' in: " + last);
    assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());
  }

  @Test
  void shouldRejectAMissingDataPath() {
    CommandLine.Result r =
        CommandLine.run("produce", "--data", dir.resolve("nope").toString(), "--split", "train");
    assertOneLineError(r, "does not exist");
  }

  @Test
  void shouldRejectAFileThatIsNoTorchScriptModuleBeforeReachingTheBroker() throws IOException {
    Path notes = Files.writeString(dir.resolve("notes.pt"), "not a module");
    assertOneLineError(
        CommandLine.run("train", "--architecture", "torchscript:" + notes, "--bootstrap", "x:1"),
        "is not a TorchScript archive");
    assertOneLineError(
        CommandLine.run("train", "--input-shape", "3x32x32", "--bootstrap", "x:1"),
        "--input-shape applies to a torchscript: architecture");
  }

  @Test
  void shouldRejectAnUnknownSplit() {
    assertOneLineError(
        CommandLine.run("produce", "--split", "validation"), "--split must be train or test");
  }

  @Test
  void shouldRejectAnUnknownGuaranteeInPredictAndItsBenchmark() {
    String expected = "--guarantee must be at_least_once or exactly_once (got twice)";
    assertOneLineError(CommandLine.run("predict", "--guarantee", "twice"), expected);
    assertOneLineError(CommandLine.run("bench", "--predict", "--guarantee", "twice"), expected);
  }

  @Test
  void shouldRejectANegativeNumberOfBenchWarmUpEpochs() {
    assertOneLineError(
        CommandLine.run("bench", "--warmup-epochs", "-1"),
        "--warmup-epochs must be 0 or more (got -1)");
  }

  @Test
  void shouldRejectABenchHeapThatIsNoSize() {
    assertOneLineError(
        CommandLine.run("bench", "--heap", "2 GB"),
        "--heap takes a size such as 2g or 1536m (got 2 GB)");
  }

  @Test
  void shouldRejectAnUnknownOption() {
    CommandLine.Result r = CommandLine.run("train", "--epochz", "3");
    assertEquals(2, r.exitCode());
    assertTrue(r.err().startsWith("streamtrain: Unknown option"), r.err());
  }

  /** Images and labels files that disagree with themselves or each other. */
  @ParameterizedTest(name = "{5}")
  @CsvSource(
      delimiter = '|',
      value = {
        "2051 | 10 |  5 | 10 | truncated                     | announces 10 images, holds 5",
        "1234 | 10 | 10 | 10 | magic                         | wrong magic number",
        "2051 | 10 | 10 |  9 | image and label counts differ | label and image counts differ"
      })
  void shouldRejectABrokenIdxDataset(
      int magic, int announced, int actual, int labels, String expected, String what)
      throws IOException {
    writeIdx(dir, magic, announced, actual);
    writeLabels(dir, labels);
    assertOneLineError(
        CommandLine.run("produce", "--data", dir.toString(), "--split", "train"), expected);
  }

  @Test
  void shouldRejectABadHyperparameter() {
    assertOneLineError(
        CommandLine.run("train", "--lr", "-1", "--bootstrap", "localhost:1"),
        "--lr must be a positive number");
  }

  @Test
  void shouldGiveUpOnAnUnreachableBrokerWithinThirtySeconds() throws IOException {
    writeIdx(dir, 2051, 10, 10);
    writeLabels(dir, 10);
    long start = System.nanoTime();
    CommandLine.Result r =
        CommandLine.run(
            "produce", "--data", dir.toString(), "--split", "train", "--bootstrap", "localhost:1");
    double seconds = (System.nanoTime() - start) / 1e9;
    assertOneLineError(r, "Cannot reach Kafka at localhost:1");
    assertTrue(seconds < 45, "gave up after " + seconds + " s");
  }

  private static void writeIdx(Path dir, int magic, int announced, int actual) throws IOException {
    try (OutputStream out =
        new GZIPOutputStream(Files.newOutputStream(dir.resolve("train-images-idx3-ubyte.gz")))) {
      out.write(
          java.nio.ByteBuffer.allocate(16)
              .putInt(magic)
              .putInt(announced)
              .putInt(28)
              .putInt(28)
              .array());
      out.write(new byte[actual * 784]);
    }
  }

  private static void writeLabels(Path dir, int count) throws IOException {
    try (OutputStream out =
        new GZIPOutputStream(Files.newOutputStream(dir.resolve("train-labels-idx1-ubyte.gz")))) {
      out.write(java.nio.ByteBuffer.allocate(8).putInt(2049).putInt(count).array());
      out.write(new byte[count]);
    }
  }
}
