package io.streamtrain.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.streamtrain.app.Pipeline;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client properties of a real deployment (SASL over TLS for Kafka, basic auth for the registry)
 * travel from the --config file to every Kafka client, every Streams app and the registry client,
 * each to its own.
 */
class SettingsPassThroughTest {
  private static final String JAAS =
      "org.apache.kafka.common.security.plain.PlainLoginModule required"
          + " username=\"alice\" password=\"alice-secret\";";
  private static final Map<String, String> KAFKA =
      Map.of(
          "security.protocol", "SASL_SSL",
          "sasl.mechanism", "PLAIN",
          "sasl.jaas.config", JAAS,
          "ssl.truststore.location", "/etc/kafka/truststore.jks",
          "ssl.truststore.password", "trust-secret",
          "client.dns.lookup", "use_all_dns_ips");
  private static final Map<String, String> REGISTRY =
      Map.of(
          "basic.auth.credentials.source", "USER_INFO",
          "basic.auth.user.info", "bob:registry-secret",
          "schema.registry.ssl.truststore.location", "/etc/registry/truststore.jks");

  @TempDir Path dir;

  private Settings load(String registryUrl) throws IOException {
    return load(registryUrl, REGISTRY);
  }

  private Settings load(String registryUrl, Map<String, String> registry) throws IOException {
    Properties file = new Properties();
    file.putAll(KAFKA);
    file.putAll(registry);
    file.put("bootstrap.servers", "broker-1:9093");
    file.put("schema.registry.url", registryUrl);
    file.put("streamtrain.batch-size", "32");
    Path config = dir.resolve("client.properties");
    try (var out = Files.newBufferedWriter(config)) {
      file.store(out, null);
    }
    return SettingsLoader.load(config, Map.of(), Map.of("state-dir", dir.toString()));
  }

  @Test
  void shouldGiveEveryKafkaClientAndStreamsAppTheSecurityPropertiesOfTheConfigFile()
      throws IOException {
    Settings settings = load("https://registry:8081");
    List<Properties> clients =
        List.of(
            settings.adminProps(),
            settings.producerProps(),
            settings.feedProducerProps(),
            settings.consumerProps(null),
            settings.consumerProps("group"),
            settings.streamsProps("trainer", true),
            settings.streamsProps("predictor", false));
    for (Properties props : clients) {
      KAFKA.forEach((key, value) -> assertEquals(value, props.getProperty(key), key));
      assertEquals("broker-1:9093", props.getProperty("bootstrap.servers"));
      REGISTRY
          .keySet()
          .forEach(key -> assertFalse(props.containsKey(key), key + " leaks to Kafka"));
    }
    Map<String, Object> registry = settings.registryConfig();
    REGISTRY.forEach((key, value) -> assertEquals(value, registry.get(key), key));
    assertEquals("https://registry:8081", registry.get("schema.registry.url"));
    KAFKA
        .keySet()
        .forEach(key -> assertFalse(registry.containsKey(key), key + " leaks to registry"));
    assertEquals(32, settings.training().batchSize());
  }

  @Test
  void shouldWriteTheFeedUncompressedUnlessTheConfigFileSaysOtherwise() throws IOException {
    Settings settings = load("https://registry:8081");
    assertEquals("none", settings.feedProducerProps().getProperty("compression.type"));
    assertEquals("lz4", settings.producerProps().getProperty("compression.type"));

    Settings zstd =
        new Settings(
            settings.bootstrap(),
            settings.registryUrl(),
            settings.topicPrefix(),
            settings.modelName(),
            settings.stateDir(),
            settings.training(),
            Map.of("compression.type", "zstd"),
            settings.registryOverrides(),
            settings.maxImagePixels(),
            settings.outageWaitSeconds());
    assertEquals("zstd", zstd.feedProducerProps().getProperty("compression.type"));
  }

  @Test
  void shouldSendTheRegistryBasicAuthOfTheConfigFile() throws IOException {
    List<String> authorizations = new CopyOnWriteArrayList<>();
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/subjects",
        exchange -> {
          authorizations.add(
              String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
          byte[] body = "[\"images-value\"]".getBytes(StandardCharsets.UTF_8);
          exchange
              .getResponseHeaders()
              .add("Content-Type", "application/vnd.schemaregistry.v1+json");
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.start();
    try {
      // Plain HTTP here: the registry client would open the (made-up) truststore of REGISTRY.
      Settings settings =
          load(
              "http://localhost:" + server.getAddress().getPort(),
              Map.of(
                  "basic.auth.credentials.source",
                  "USER_INFO",
                  "basic.auth.user.info",
                  "bob:registry-secret"));
      assertEquals(List.of("images-value"), new Pipeline(settings).registry().subjects());
      String expected =
          "Basic "
              + Base64.getEncoder()
                  .encodeToString("bob:registry-secret".getBytes(StandardCharsets.UTF_8));
      assertEquals(List.of(expected), authorizations);
    } finally {
      server.stop(0);
    }
  }

  @Test
  void shouldKeepTheJaasPasswordOutOfWhatKafkaLogsOfItsConfig() throws IOException {
    Settings settings = load("https://registry:8081");
    // Kafka prints its client configs at start-up; sasl.jaas.config and *.password are PASSWORD
    // typed there and print as [hidden].
    String logged =
        new org.apache.kafka.clients.producer.ProducerConfig(
                withSerializers(settings.producerProps()))
            .values()
            .toString();
    assertFalse(logged.contains("alice-secret"), logged);
    assertFalse(logged.contains("trust-secret"), logged);
    assertTrue(logged.contains("[hidden]"), logged);
  }

  private static Properties withSerializers(Properties props) {
    Properties p = new Properties();
    p.putAll(props);
    return p;
  }
}
