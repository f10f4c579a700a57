package io.streamtrain.metrics;

import static io.streamtrain.metrics.Scrapes.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.kafka.EmbeddedKafkaExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The endpoint with Kafka bound to it: Streams client metrics and consumer-group lag. */
class MonitoringIT {
  @RegisterExtension static final EmbeddedKafkaExtension kafka = new EmbeddedKafkaExtension();

  @Test
  void shouldServeTheLagOfAGroupPerPartitionAndInTotal() throws Exception {
    String topic = newTopic(2);
    produce(topic, 0, 10);
    produce(topic, 1, 5);
    String group = "group-" + UUID.randomUUID();
    commit(group, Map.of(new TopicPartition(topic, 0), 3L, new TopicPartition(topic, 1), 5L));

    try (Monitoring monitoring = Monitoring.start(0, "trainer", "m")) {
      monitoring.bindConsumerLag(kafka.clientProperties(), group);

      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                Map<String, Double> s = scrape(monitoring);
                assertEquals(7, value(s, "streamtrain_consumer_lag_total_records"), 0);
                assertEquals(
                    7,
                    value(
                        s,
                        "streamtrain_consumer_lag_records",
                        "topic=\"" + topic + "\"",
                        "partition=\"0\""),
                    0);
                assertEquals(
                    0,
                    value(
                        s,
                        "streamtrain_consumer_lag_records",
                        "topic=\"" + topic + "\"",
                        "partition=\"1\""),
                    0);
              });
      Map<String, Double> s = scrape(monitoring);
      assertEquals(0, value(s, "streamtrain_consumer_lag_refresh_failures_total"), 0);
      assertTrue(s.keySet().stream().anyMatch(k -> k.startsWith("jvm_memory_used_bytes{")));
    }
  }

  @Test
  void shouldServeKafkaStreamsMetricsAndTheAppsLagFallingToZero(@TempDir Path stateDir)
      throws Exception {
    String topic = newTopic(1);
    produce(topic, 0, 20);
    String applicationId = "app-" + UUID.randomUUID();
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(topic).foreach((k, v) -> {});
    Properties props = new Properties();
    props.putAll(kafka.clientProperties());
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createDirectories(stateDir).toString());
    props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
    props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");

    try (Monitoring monitoring = Monitoring.start(0, "trainer", "m");
        KafkaStreams streams = new KafkaStreams(builder.build(), props)) {
      streams.start();
      Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> streams.state() == KafkaStreams.State.RUNNING);
      monitoring.bindStreams(streams);
      monitoring.bindConsumerLag(kafka.clientProperties(), applicationId);

      Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                Map<String, Double> s = scrape(monitoring);
                assertEquals(0, value(s, "streamtrain_consumer_lag_total_records"), 0);
                assertEquals(
                    0,
                    value(
                        s,
                        "streamtrain_consumer_lag_records",
                        "group=\"" + applicationId + "\"",
                        "topic=\"" + topic + "\""),
                    0);
              });
      Map<String, Double> s = scrape(monitoring);
      assertTrue(
          s.keySet().stream()
              .anyMatch(k -> k.startsWith("kafka_consumer_fetch_manager_records_lag_max")),
          "no records-lag-max among "
              + s.keySet().stream().filter(k -> k.startsWith("kafka_")).sorted().toList());
      assertEquals(1, value(s, "kafka_stream_alive_stream_threads"), 0);
    }
  }

  private static Map<String, Double> scrape(Monitoring monitoring) {
    var response = Scrapes.get(monitoring.uri(), null);
    assertEquals(200, response.statusCode());
    return Scrapes.samples(response.body());
  }

  private static String newTopic(int partitions) throws Exception {
    String topic = "metrics-it-" + UUID.randomUUID();
    try (Admin admin = Admin.create(kafka.clientProperties())) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
    }
    return topic;
  }

  private static void produce(String topic, int partition, int count) throws Exception {
    Properties props = new Properties();
    props.putAll(kafka.clientProperties());
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      for (int i = 0; i < count; i++) {
        producer.send(new ProducerRecord<>(topic, partition, null, new byte[] {(byte) i})).get();
      }
    }
  }

  private static void commit(String group, Map<TopicPartition, Long> offsets) {
    Properties props = new Properties();
    props.putAll(kafka.clientProperties());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      consumer.assign(offsets.keySet());
      Map<TopicPartition, OffsetAndMetadata> commits = new java.util.HashMap<>();
      offsets.forEach((tp, offset) -> commits.put(tp, new OffsetAndMetadata(offset)));
      consumer.commitSync(commits);
    }
  }
}
