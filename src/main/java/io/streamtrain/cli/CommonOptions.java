package io.streamtrain.cli;

import io.streamtrain.config.Settings;
import io.streamtrain.config.SettingsLoader;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Options every command takes; resolved with the properties file and environment. */
final class CommonOptions {
  @Option(
      names = "--bootstrap",
      paramLabel = "HOST:PORT",
      description = "Kafka bootstrap servers (default localhost:9092; env STREAMTRAIN_BOOTSTRAP).")
  String bootstrap;

  @Option(
      names = "--registry",
      paramLabel = "URL",
      description =
          "Schema Registry URL: http(s)://... (default http://localhost:8081, the endpoint `broker`"
              + " serves) or mock://scope inside one process.")
  String registry;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "Properties file: streamtrain.<option>=value for any option, Kafka client properties"
              + " (security.protocol, sasl.*, ssl.*) and registry.* client properties.")
  Path config;

  @Option(names = "--topic-prefix", paramLabel = "P", description = "Prefix of every topic name.")
  String topicPrefix;

  @Option(
      names = "--model-name",
      paramLabel = "NAME",
      description = "Model name (default fashion-mlp).")
  String modelName;

  @Option(names = "--state-dir", paramLabel = "DIR", description = "Kafka Streams state directory.")
  Path stateDir;

  @Spec CommandSpec spec; // this mixin's own options

  /** Flags given here plus those of {@code extra}, resolved over file and environment. */
  Settings settings(Map<String, String> extra) {
    Map<String, String> flags = new HashMap<>(extra);
    flags.putAll(OptionValues.given(spec));
    flags.remove("config"); // where settings come from, not one of them
    return SettingsLoader.load(config, System.getenv(), flags);
  }

  Settings settings() {
    return settings(Map.of());
  }
}
