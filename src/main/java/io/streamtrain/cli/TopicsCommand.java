package io.streamtrain.cli;

import io.streamtrain.app.Pipeline;
import io.streamtrain.app.ValueSchemas;
import io.streamtrain.config.Settings;
import io.streamtrain.kafka.Brokers;
import io.streamtrain.kafka.TopicCatalog;
import io.streamtrain.kafka.TopicNames;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "topics",
    mixinStandardHelpOptions = true,
    description = {
      "Create (idempotently) or list streamtrain's topics with their configs. `create` also"
          + " registers the Avro value schema of every topic that carries one (<topic>-value),"
          + " so that producers without auto-registration find it."
    },
    footer = {
      "",
      "Examples:",
      "  streamtrain topics create",
      "  streamtrain topics list --topic-prefix exp1."
    })
final class TopicsCommand implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Parameters(index = "0", paramLabel = "ACTION", description = "create or list")
  String action;

  @Option(
      names = "--infer-partitions",
      description = "Partitions of images.infer and predictions (default 4).")
  int inferPartitions = TopicCatalog.DEFAULT_INFER_PARTITIONS;

  @Override
  public Integer call() {
    Settings settings = common.settings();
    TopicNames names = TopicNames.withPrefix(settings.topicPrefix());
    switch (action) {
      case "create" -> {
        Brokers.awaitReachable(settings.adminProps(), Duration.ofSeconds(30));
        try (Admin admin = Admin.create(settings.adminProps())) {
          Map<String, String> result = TopicCatalog.create(admin, names, inferPartitions);
          result.forEach((topic, outcome) -> System.out.println(topic + ": " + outcome));
        }
        ValueSchemas.register(new Pipeline(settings).registry(), names)
            .forEach((subject, outcome) -> System.out.println(subject + ": " + outcome));
      }
      case "list" -> {
        for (TopicCatalog.TopicSpec spec : TopicCatalog.specs(names, inferPartitions)) {
          System.out.println(
              spec.name() + " partitions=" + spec.partitions() + " " + spec.configs());
        }
      }
      default ->
          throw new IllegalArgumentException(
              "unknown action '" + action + "': use `topics create` or `topics list`");
    }
    return 0;
  }
}
