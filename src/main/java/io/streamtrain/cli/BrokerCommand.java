package io.streamtrain.cli;

import io.streamtrain.config.Settings;
import io.streamtrain.kafka.EmbeddedKafka;
import io.streamtrain.kafka.TopicCatalog;
import io.streamtrain.kafka.TopicNames;
import io.streamtrain.registry.KafkaSchemaStore;
import io.streamtrain.registry.RegistryServer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "broker",
    mixinStandardHelpOptions = true,
    description = {
      "Run a real Apache Kafka broker (KRaft, no ZooKeeper, no Docker) in this process, plus a"
          + " Confluent-compatible Schema Registry endpoint storing schemas in the compacted"
          + " _schemas topic, until interrupted. Creates streamtrain's topics."
    },
    footer = {
      "",
      "Examples:",
      "  streamtrain broker                                  # localhost:9092 +"
          + " http://localhost:8081",
      "  streamtrain broker --port 19092 --registry-port 18081 --data-dir /var/lib/streamtrain",
      "  kcat -b localhost:9092 -L                           # check it from another shell"
    })
final class BrokerCommand implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Option(names = "--port", description = "Kafka listener port (default 9092).")
  int port = 9092;

  @Option(names = "--registry-port", description = "Schema Registry port (default 8081; -1: none).")
  int registryPort = 8081;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description = "Log directory kept across restarts (default: a temporary one).")
  Path dataDir;

  @Option(names = "--no-topics", description = "Do not create streamtrain's topics.")
  boolean noTopics;

  @Override
  public Integer call() throws Exception {
    CountDownLatch stopped = new CountDownLatch(1);
    try (EmbeddedKafka broker = EmbeddedKafka.start(port, dataDir)) {
      Settings settings = common.settings().withBootstrap(broker.bootstrap());
      System.err.println(
          "Kafka broker (KRaft) listening on "
              + broker.bootstrap()
              + ", data in "
              + broker.dataDir());
      if (!noTopics) {
        try (Admin admin = Admin.create(settings.adminProps())) {
          TopicCatalog.create(admin, TopicNames.withPrefix(settings.topicPrefix()))
              .forEach((topic, outcome) -> System.err.println("  topic " + topic + ": " + outcome));
        }
      }
      try (KafkaSchemaStore store =
              registryPort < 0 ? null : new KafkaSchemaStore(settings.adminProps());
          RegistryServer registry =
              store == null ? null : RegistryServer.start(registryPort, store)) {
        if (registry != null) {
          System.err.println("Schema Registry (Confluent REST API) on " + registry.url());
        }
        Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown));
        System.err.println("Ready. Ctrl-C to stop.");
        stopped.await();
      }
    }
    return 0;
  }
}
