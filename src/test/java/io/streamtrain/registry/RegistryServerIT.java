package io.streamtrain.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.kafka.EmbeddedKafkaExtension;
import io.streamtrain.kafka.TopicReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The embedded registry endpoint over a Kafka-backed store, on the embedded broker. */
class RegistryServerIT {
  private static final Schema IMAGE = RegistryChildProcess.schemaOf("LabeledImage");
  private static final Schema PREDICTION = RegistryChildProcess.schemaOf("Prediction");

  @RegisterExtension static final EmbeddedKafkaExtension kafka = new EmbeddedKafkaExtension();

  private final String topic = "_schemas-" + UUID.randomUUID();

  @Test
  void shouldKeepSchemaIdsAcrossRegistryRestart() {
    int imageId;
    int predictionId;
    try (KafkaSchemaStore store = newStore();
        RegistryServer server = RegistryServer.start(0, store)) {
      SchemaRegistryClient client = SchemaRegistries.forUrl(server.url(), Map.of());
      imageId = client.register("images.train-value", IMAGE);
      predictionId = client.register("predictions-value", PREDICTION);
      client.register("images.test-value", IMAGE);
    }

    try (KafkaSchemaStore store = newStore();
        RegistryServer server = RegistryServer.start(0, store)) {
      SchemaRegistryClient client = SchemaRegistries.forUrl(server.url(), Map.of());

      assertEquals(IMAGE, client.getById(imageId));
      assertEquals(PREDICTION, client.getById(predictionId));
      assertEquals(
          new RegisteredSchema("images.test-value", 1, imageId, IMAGE),
          client.lookup("images.test-value", IMAGE));
      assertEquals(imageId, client.register("images.train-value", IMAGE));
      assertEquals(
          List.of("images.test-value", "images.train-value", "predictions-value"),
          client.subjects());
      Schema evolved = TestSchemas.withTag(IMAGE, TestSchemas.NULL_DEFAULT);
      assertEquals(predictionId + 1, client.register("images.train-value", evolved));
      assertEquals(2, client.getLatest("images.train-value").version());
    }
  }

  @Test
  void shouldKeepCompatibilityLevelsAcrossRegistryRestartAsConfluentConfigRecords() {
    try (KafkaSchemaStore store = newStore();
        RegistryServer server = RegistryServer.start(0, store)) {
      RestSchemaRegistryClient client = new RestSchemaRegistryClient(server.url(), Map.of());
      client.setCompatibility(null, CompatibilityLevel.FULL);
      client.setCompatibility("images.train-value", CompatibilityLevel.NONE);
      client.setCompatibility("predictions-value", CompatibilityLevel.FORWARD);
      assertEquals(
          Optional.of(CompatibilityLevel.FORWARD), client.deleteCompatibility("predictions-value"));
      client.register("images.test-value", IMAGE);
    }

    try (KafkaSchemaStore store = newStore();
        RegistryServer server = RegistryServer.start(0, store)) {
      RestSchemaRegistryClient client = new RestSchemaRegistryClient(server.url(), Map.of());

      assertEquals(CompatibilityLevel.FULL, client.compatibility(null));
      assertEquals(CompatibilityLevel.NONE, client.compatibility("images.train-value"));
      assertEquals(CompatibilityLevel.FULL, client.compatibility("predictions-value"));
      assertEquals(Optional.empty(), store.compatibility("predictions-value"));
      SchemaRegistryException refused =
          assertThrows(
              SchemaRegistryException.class,
              () -> client.register("images.test-value", PREDICTION));
      assertEquals(409, refused.httpStatus());
      assertTrue(refused.getMessage().contains("(compatibility FULL)"), refused.getMessage());
    }

    List<String> records = readTopic();
    assertTrue(
        records.contains(
            "{\"keytype\":\"CONFIG\",\"magic\":0} -> {\"compatibilityLevel\":\"FULL\"}"),
        records.toString());
    assertTrue(
        records.contains(
            "{\"keytype\":\"CONFIG\",\"subject\":\"images.train-value\",\"magic\":0}"
                + " -> {\"compatibilityLevel\":\"NONE\"}"),
        records.toString());
    assertTrue(
        records.contains(
            "{\"keytype\":\"CONFIG\",\"subject\":\"predictions-value\",\"magic\":0} -> null"),
        records.toString());
  }

  @Test
  void shouldReadCompatibilityLevelsWrittenByConfluentsRegistry() throws Exception {
    try (KafkaSchemaStore created = newStore();
        KafkaProducer<String, String> producer =
            new KafkaProducer<>(
                kafka.clientProperties(), new StringSerializer(), new StringSerializer())) {
      // Older Confluent versions wrote the global key with "subject":null.
      producer
          .send(
              new ProducerRecord<>(
                  topic,
                  "{\"keytype\":\"CONFIG\",\"subject\":null,\"magic\":0}",
                  "{\"compatibilityLevel\":\"FORWARD_TRANSITIVE\"}"))
          .get();
      producer
          .send(
              new ProducerRecord<>(
                  topic,
                  "{\"keytype\":\"CONFIG\",\"subject\":\"a-value\",\"magic\":0}",
                  "{\"subject\":\"a-value\",\"compatibilityLevel\":\"FULL\","
                      + "\"compatibilityGroup\":\"app\"}"))
          .get();
    }

    try (KafkaSchemaStore store = newStore()) {
      assertEquals(Optional.of(CompatibilityLevel.FORWARD_TRANSITIVE), store.compatibility(null));
      assertEquals(Optional.of(CompatibilityLevel.FULL), store.compatibility("a-value"));
      assertEquals(Optional.empty(), store.compatibility("b-value"));
    }
  }

  @Test
  void shouldCreateTheSchemaTopicCompactedWithOnePartition() throws Exception {
    try (KafkaSchemaStore store = newStore();
        Admin admin = Admin.create(kafka.clientProperties())) {
      TopicDescription description =
          admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      String cleanup =
          admin
              .describeConfigs(List.of(resource))
              .all()
              .get()
              .get(resource)
              .get(TopicConfig.CLEANUP_POLICY_CONFIG)
              .value();

      assertEquals(1, description.partitions().size());
      assertEquals(TopicConfig.CLEANUP_POLICY_COMPACT, cleanup);
    }
  }

  @Test
  void shouldGiveOneIdToOneSchemaRegisteredFromTwoProcesses(@TempDir Path logs) throws Exception {
    try (KafkaSchemaStore store = newStore();
        RegistryServer server = RegistryServer.start(0, store)) {
      String subject = "images.train-" + UUID.randomUUID() + "-value";
      Process first =
          RegistryChildProcess.start(
              logs.resolve("first.log"), "client", server.url(), subject, "LabeledImage");
      Process second =
          RegistryChildProcess.start(
              logs.resolve("second.log"), "client", server.url(), subject, "LabeledImage");

      int firstId = RegistryChildProcess.awaitId(first, logs.resolve("first.log"));
      int secondId = RegistryChildProcess.awaitId(second, logs.resolve("second.log"));
      int here = SchemaRegistries.forUrl(server.url(), Map.of()).register(subject, IMAGE);

      assertEquals(firstId, secondId);
      assertEquals(firstId, here);
      assertEquals(List.of(1), store.versions(subject));
    }
  }

  @Test
  void shouldAgreeOnIdsWithAnotherProcessStoringInTheSameTopic(@TempDir Path logs)
      throws Exception {
    try (KafkaSchemaStore store = newStore()) {
      int imageId = store.register("images.train-value", IMAGE).id();

      Process sameSchema =
          RegistryChildProcess.start(
              logs.resolve("same.log"),
              "store",
              kafka.bootstrap(),
              topic,
              "images.test-value",
              "LabeledImage");
      int childImageId = RegistryChildProcess.awaitId(sameSchema, logs.resolve("same.log"));
      Process newSchema =
          RegistryChildProcess.start(
              logs.resolve("new.log"),
              "store",
              kafka.bootstrap(),
              topic,
              "predictions-value",
              "Prediction");
      int childPredictionId = RegistryChildProcess.awaitId(newSchema, logs.resolve("new.log"));

      assertEquals(imageId, childImageId);
      assertNotEquals(imageId, childPredictionId);
      assertEquals(PREDICTION, store.schemaById(childPredictionId).orElseThrow());
      assertEquals(
          List.of("images.test-value", "images.train-value", "predictions-value"),
          store.subjects());
    }
  }

  /** Every record of the schema topic as "key -> value" text. */
  private List<String> readTopic() {
    List<String> records = new ArrayList<>();
    Properties props = kafka.clientProperties();
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    TopicReader.read(props, topic, r -> records.add(text(r.key()) + " -> " + text(r.value())));
    return records;
  }

  private static String text(byte[] bytes) {
    return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
  }

  private KafkaSchemaStore newStore() {
    Properties props = kafka.clientProperties();
    return new KafkaSchemaStore(props, topic, (short) 1, Duration.ofSeconds(30));
  }
}
