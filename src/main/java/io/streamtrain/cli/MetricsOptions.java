package io.streamtrain.cli;

import picocli.CommandLine.Option;

/** The Prometheus endpoint of the long-running applications ({@code train}, {@code predict}). */
final class MetricsOptions {
  @Option(
      names = "--metrics-port",
      paramLabel = "PORT",
      description = "Serve Prometheus metrics at http://HOST:PORT/metrics (0: any free port).")
  Integer metricsPort;
}
