package io.streamtrain.cli;

import io.streamtrain.config.Settings;
import io.streamtrain.kafka.Brokers;
import io.streamtrain.registry.KafkaSchemaStore;
import io.streamtrain.registry.RegistryServer;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "registry",
    mixinStandardHelpOptions = true,
    description =
        "Run the Confluent-compatible Schema Registry endpoint alone against any Kafka cluster.",
    footer = {"", "Example:", "  streamtrain registry --bootstrap kafka:9092 --port 8081"})
final class RegistryCommand implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Option(names = "--port", description = "HTTP port (default 8081).")
  int port = 8081;

  @Override
  public Integer call() throws Exception {
    Settings settings = common.settings();
    Brokers.awaitReachable(settings.adminProps(), Duration.ofSeconds(30));
    CountDownLatch stopped = new CountDownLatch(1);
    try (KafkaSchemaStore store = new KafkaSchemaStore(settings.adminProps());
        RegistryServer registry = RegistryServer.start(port, store)) {
      System.err.println(
          "Schema Registry on "
              + registry.url()
              + ", schemas in _schemas on "
              + settings.bootstrap());
      Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown));
      stopped.await();
    }
    return 0;
  }
}
