package io.streamtrain.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code streamtrain predict} started in a JVM of its own, as a user starts a new predictor: what
 * it serves is read off its {@code /ready} and {@code /metrics} endpoints. Its output goes to a log
 * file whose tail a failure quotes.
 */
final class ForkedPredictor implements ServingSide, AutoCloseable {
  private static final Duration STOP_WAIT = Duration.ofSeconds(20);

  private final Process process;
  private final Path log;
  private final Path stateDir;
  private final URI ready;
  private final URI metrics;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private ForkedPredictor(Process process, Path log, Path stateDir, int metricsPort) {
    this.process = process;
    this.log = log;
    this.stateDir = stateDir;
    this.ready = URI.create("http://localhost:" + metricsPort + "/ready");
    this.metrics = URI.create("http://localhost:" + metricsPort + "/metrics");
  }

  /**
   * Starts {@code predict} with {@code args} (bootstrap, registry, model, batching) added, in a JVM
   * with {@code jvmOptions} after this JVM's own system properties.
   */
  static ForkedPredictor start(List<String> jvmOptions, List<String> args) {
    try {
      Path log = Files.createTempFile("streamtrain-bench-predictor", ".log");
      Path stateDir = Files.createTempDirectory("streamtrain-bench-predictor-state");
      int port = freePort();
      List<String> command = ForkedJvm.javaCommand(jvmOptions, "io.streamtrain.cli.Main");
      command.add("predict");
      command.addAll(args);
      command.addAll(
          List.of("--metrics-port", String.valueOf(port), "--state-dir", stateDir.toString()));
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      return new ForkedPredictor(process, log, stateDir, port);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start a predictor JVM", e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /**
   * Waits until {@code /ready} answers 200, polling every 5 ms so that the load starts as soon as
   * the predictor says it can serve.
   */
  void awaitReady(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      throwIfFailed();
      try {
        if (http.send(get(ready), HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException notListeningYet) {
        // the metrics endpoint is not up yet
      }
      TimeUnit.MILLISECONDS.sleep(5);
    }
    throw new IllegalStateException(
        "The forked predictor was not ready within " + timeout.toSeconds() + " s" + tail());
  }

  /** What the predictor said of its request-path warm-up, or that it said nothing of it. */
  String warmUpReport() {
    try (var lines = Files.lines(log)) {
      return lines
          .filter(l -> l.startsWith("Warmed the request path") || l.contains("warm-up skipped"))
          .findFirst()
          .orElse("request path not warmed");
    } catch (IOException e) {
      return "its log " + log + " cannot be read";
    }
  }

  private static HttpRequest get(URI uri) {
    return HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).GET().build();
  }

  /** A sample of {@code /metrics} (0 when absent, -1 when the endpoint cannot be read). */
  private double metric(String name) {
    String text;
    try {
      text = http.send(get(metrics), HttpResponse.BodyHandlers.ofString()).body();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
    for (String line : text.split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return 0;
  }

  @Override
  public long batches() {
    return (long) metric("streamtrain_prediction_batch_size_count");
  }

  @Override
  public long answered() {
    return (long) metric("streamtrain_prediction_batch_size_sum");
  }

  @Override
  public long largestBatch() {
    return (long) metric("streamtrain_prediction_batch_size_max");
  }

  @Override
  public long minServedVersion() {
    return (long) metric("streamtrain_prediction_model_version");
  }

  @Override
  public long maxServedVersion() {
    return minServedVersion();
  }

  @Override
  public long modelSwaps() {
    return 0; // a forked predictor serves the one snapshot the benchmark published
  }

  @Override
  public void throwIfFailed() {
    if (!process.isAlive()) {
      throw new IllegalStateException(
          "The forked predictor exited with " + process.exitValue() + tail());
    }
  }

  private String tail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return "; its last lines:\n  "
          + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
    } catch (IOException e) {
      return " (its log " + log + " cannot be read)";
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy(); // SIGTERM: a clean stop leaves the group at once
    if (!process.waitFor(STOP_WAIT.toSeconds(), TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
    try {
      Files.deleteIfExists(log);
    } catch (IOException e) {
      // a temporary file; the OS cleans it up
    }
    io.streamtrain.config.Directories.deleteQuietly(stateDir);
  }
}
