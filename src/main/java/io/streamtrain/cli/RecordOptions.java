package io.streamtrain.cli;

import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Options of the commands that decode image records from Kafka ({@code train}, {@code predict},
 * {@code evaluate}); the other commands do not show them. The properties file and the environment
 * set them for every command, as any setting.
 */
final class RecordOptions {
  @Option(
      names = "--max-image-pixels",
      paramLabel = "N",
      description =
          "Most pixels a PNG/JPEG record's header may declare; more is dead-lettered as"
              + " image-too-large before any pixel is decoded (default 16777216).")
  Long maxImagePixels;

  @Option(
      names = "--outage-wait-seconds",
      paramLabel = "S",
      description =
          "How long train and predict wait out an unreachable Schema Registry, retrying with"
              + " backoff, before they stop with one line (default 300).")
  Integer outageWaitSeconds;

  @Spec CommandSpec spec; // this mixin's own options

  /** {@code flags} with these options added, for {@link CommonOptions#settings(Map)}. */
  Map<String, String> with(Map<String, String> flags) {
    Map<String, String> all = new HashMap<>(flags);
    all.putAll(OptionValues.given(spec));
    return all;
  }
}
