package io.streamtrain.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaIT {
  @RegisterExtension static final EmbeddedKafkaExtension kafka = new EmbeddedKafkaExtension();

  @Test
  void shouldDeliverARecordBetweenPlainClients() throws Exception {
    String topic = "it-" + UUID.randomUUID();
    createTopic(kafka.broker(), topic);
    produce(kafka.broker(), topic, "k1", "hello");
    assertEquals(List.of("k1=hello"), consumeAll(kafka.broker(), topic, 1));
    assertEquals("localhost:" + kafka.port(), kafka.bootstrap());
  }

  @Test
  void shouldKeepTopicsAndRecordsWhenRestartedOnTheSamePort() throws Exception {
    String topic = "it-" + UUID.randomUUID();
    createTopic(kafka.broker(), topic);
    produce(kafka.broker(), topic, "k1", "before restart");
    int port = kafka.port();

    long t0 = System.nanoTime();
    kafka.broker().restart();
    System.out.printf(
        "EmbeddedKafka.restart took %d ms%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));

    assertEquals(port, kafka.port());
    produce(kafka.broker(), topic, "k2", "after restart");
    assertEquals(
        List.of("k1=before restart", "k2=after restart"), consumeAll(kafka.broker(), topic, 2));
  }

  @Test
  void shouldReuseAFormattedDataDirectoryInANewInstance(@TempDir Path dir) throws Exception {
    String topic = "it-" + UUID.randomUUID();
    Path dataDir = dir.resolve("kafka");
    try (EmbeddedKafka first = EmbeddedKafka.start(0, dataDir)) {
      createTopic(first, topic);
      produce(first, topic, "k", "kept");
    }
    assertTrue(Files.exists(dataDir.resolve("meta.properties")));
    long t0 = System.nanoTime();
    try (EmbeddedKafka second = EmbeddedKafka.start(0, dataDir)) {
      System.out.printf(
          "EmbeddedKafka.start took %d ms (existing data dir)%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
      assertEquals(List.of("k=kept"), consumeAll(second, topic, 1));
    }
    assertTrue(Files.exists(dataDir), "a caller-owned data dir is kept on close");
  }

  @Test
  void shouldDeleteItsTemporaryDataDirectoryOnClose() {
    Path dataDir;
    try (EmbeddedKafka temp = EmbeddedKafka.start(0, null)) {
      dataDir = temp.dataDir();
      assertTrue(Files.isDirectory(dataDir));
    }
    assertFalse(Files.exists(dataDir));
  }

  @Test
  void shouldBeListedByKcat() throws Exception {
    Path kcat = Path.of("/usr/bin/kcat");
    assumeTrue(Files.isExecutable(kcat), "kcat not installed");
    Process process =
        new ProcessBuilder(kcat.toString(), "-b", kafka.bootstrap(), "-L", "-m", "10")
            .redirectErrorStream(true)
            .start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, process.exitValue(), out);
    assertTrue(out.contains("1 brokers:"), out);
    assertTrue(out.contains("broker 1 at localhost:" + kafka.port()), out);
  }

  @Test
  void shouldFailWithOneClearLineWhenNoBrokerAnswers() {
    Properties props = new Properties();
    props.put("bootstrap.servers", "localhost:1");
    long t0 = System.nanoTime();
    BrokerUnreachableException e =
        assertThrows(
            BrokerUnreachableException.class,
            () -> Brokers.awaitReachable(props, Duration.ofSeconds(2)));
    assertEquals(
        "Cannot reach Kafka at localhost:1 within 2 s (is the broker running? start one"
            + " with: java -jar target/streamtrain.jar broker)",
        e.getMessage());
    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10), "gave up in time");
  }

  static void createTopic(EmbeddedKafka broker, String topic) throws Exception {
    try (Admin admin = Admin.create(broker.clientProperties())) {
      admin
          .createTopics(List.of(new NewTopic(topic, 1, (short) 1)))
          .all()
          .get(30, TimeUnit.SECONDS);
    }
  }

  static void produce(EmbeddedKafka broker, String topic, String key, String value)
      throws Exception {
    Properties props = broker.clientProperties();
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
      producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
    }
  }

  /** Reads the single partition of {@code topic} from the start until {@code expected} records. */
  static List<String> consumeAll(EmbeddedKafka broker, String topic, int expected) {
    Properties props = broker.clientProperties();
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    List<String> seen = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                  seen.add(r.key() + "=" + r.value());
                }
                return seen.size() >= expected;
              });
    }
    return seen;
  }
}
