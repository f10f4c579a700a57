package io.streamtrain.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Which Fashion-MNIST images the commands that train in this process read (demo, bench). */
final class DatasetOptions {
  @Option(names = "--data", paramLabel = "DIR", description = "Fashion-MNIST directory.")
  Path data;

  @Option(
      names = "--limit",
      paramLabel = "N",
      description = "Use only the first N training images.")
  Integer limit;
}
