package io.streamtrain.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streamtrain.kafka.Brokers;
import io.streamtrain.kafka.TopicReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link SchemaStore} kept in a compacted single-partition Kafka topic ({@code _schemas} by
 * default), in the record layout of Confluent's registry (JSON key {@code {"keytype":"SCHEMA",
 * "subject","version","magic":1}}, JSON value {@code {"subject","version","id","schema",
 * "deleted"}}; compatibility levels as key {@code {"keytype":"CONFIG","subject","magic":0}}, no
 * subject for the global level, value {@code {"compatibilityLevel"}} and a tombstone on delete), so
 * state survives restarts and the topic stays readable by Confluent's tools.
 *
 * <p>On start it creates the topic if missing and reads it to its end. Each registration is
 * appended and acknowledged (acks=all) before it is answered. Before registering, and whenever a
 * read misses, it reads to the end again, so a second store on the same topic sees the first one's
 * schemas; like Confluent's primary, one writer per topic is the intended deployment.
 */
public final class KafkaSchemaStore implements SchemaStore {
  public static final String DEFAULT_TOPIC = "_schemas";
  public static final short DEFAULT_REPLICATION_FACTOR = 1;
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  private static final Logger LOG = LoggerFactory.getLogger(KafkaSchemaStore.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int REGISTER_ATTEMPTS = 3;
  private static final long METADATA_RETRY_MS = 50;

  private final String topic;
  private final TopicPartition partition;
  private final String bootstrap;
  private final Duration timeout;
  private final KafkaProducer<byte[], byte[]> producer;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final SchemaIndex index = new SchemaIndex();
  private boolean closed;

  /**
   * A store in {@code _schemas} (replication factor 1) of the cluster {@code clientProperties}
   * name.
   */
  public KafkaSchemaStore(Properties clientProperties) {
    this(clientProperties, DEFAULT_TOPIC, DEFAULT_REPLICATION_FACTOR, DEFAULT_TIMEOUT);
  }

  /**
   * A store in {@code topic}, created with {@code replicationFactor} when missing.
   *
   * @param clientProperties bootstrap servers and security settings shared by the store's admin,
   *     producer and consumer
   * @param timeout how long to wait for the broker on start, for each write, and for a read to the
   *     end to advance
   * @throws BrokerUnreachableException when no broker answers within {@code timeout}
   * @throws SchemaStoreException when the topic cannot be created, read or has several partitions
   */
  public KafkaSchemaStore(
      Properties clientProperties, String topic, short replicationFactor, Duration timeout) {
    this.topic = topic;
    this.partition = new TopicPartition(topic, 0);
    this.timeout = timeout;
    this.bootstrap =
        String.valueOf(clientProperties.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG));
    Brokers.awaitReachable(clientProperties, timeout);
    ensureTopic(clientProperties, replicationFactor);
    this.producer = new KafkaProducer<>(producerProperties(clientProperties));
    KafkaConsumer<byte[], byte[]> created = null;
    try {
      created = new KafkaConsumer<>(consumerProperties(clientProperties));
      created.assign(List.of(partition));
      created.seekToBeginning(List.of(partition));
      this.consumer = created;
      catchUp();
    } catch (RuntimeException e) {
      producer.close(Duration.ZERO);
      if (created != null) {
        created.close(Duration.ZERO);
      }
      throw e;
    }
    LOG.info("Schema store {} at {} holds {} subjects", topic, bootstrap, index.subjects().size());
  }

  @Override
  public synchronized RegisteredSchema register(String subject, Schema schema) {
    catchUp();
    for (int attempt = 0; attempt < REGISTER_ATTEMPTS; attempt++) {
      Optional<RegisteredSchema> existing = index.find(subject, schema);
      if (existing.isPresent()) {
        return existing.get();
      }
      append(index.next(subject, schema));
      // The log decides: after a racing writer took the same version, our schema is absent and
      // the next attempt takes the following version.
      catchUp();
    }
    return index
        .find(subject, schema)
        .orElseThrow(
            () ->
                new SchemaStoreException(
                    "Could not register a schema under subject "
                        + subject
                        + " in topic "
                        + topic
                        + " after "
                        + REGISTER_ATTEMPTS
                        + " attempts: another registry keeps writing the same versions"));
  }

  @Override
  public synchronized Optional<RegisteredSchema> lookup(String subject, Schema schema) {
    return foundOrCaughtUp(() -> index.find(subject, schema));
  }

  @Override
  public synchronized Optional<Schema> schemaById(int id) {
    return foundOrCaughtUp(() -> index.schemaById(id));
  }

  /** The index's answer, asked again after catching up when another registry may have it. */
  private <T> Optional<T> foundOrCaughtUp(Supplier<Optional<T>> query) {
    Optional<T> found = query.get();
    if (found.isPresent()) {
      return found;
    }
    catchUp();
    return query.get();
  }

  @Override
  public synchronized List<String> subjects() {
    catchUp();
    return index.subjects();
  }

  @Override
  public synchronized List<Integer> versions(String subject) {
    catchUp();
    return index.versions(subject);
  }

  @Override
  public synchronized Optional<RegisteredSchema> version(String subject, int version) {
    return foundOrCaughtUp(() -> index.version(subject, version));
  }

  @Override
  public synchronized Optional<CompatibilityLevel> compatibility(String subject) {
    catchUp();
    return index.compatibility(subject);
  }

  @Override
  public synchronized void setCompatibility(String subject, CompatibilityLevel level) {
    Objects.requireNonNull(level, "level");
    ObjectNode value = JSON.createObjectNode().put("compatibilityLevel", level.name());
    send(configKey(subject), value.toString().getBytes(StandardCharsets.UTF_8), levelOf(subject));
    catchUp();
  }

  @Override
  public synchronized Optional<CompatibilityLevel> deleteCompatibility(String subject) {
    catchUp();
    Optional<CompatibilityLevel> removed = index.compatibility(subject);
    if (removed.isPresent()) {
      send(configKey(subject), null, levelOf(subject)); // Confluent's delete: a tombstone.
      catchUp();
    }
    return removed;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      producer.close(Duration.ofSeconds(5));
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  private void append(RegisteredSchema registration) {
    byte[] key =
        JSON.createObjectNode()
            .put("keytype", "SCHEMA")
            .put("subject", registration.subject())
            .put("version", registration.version())
            .put("magic", 1)
            .toString()
            .getBytes(StandardCharsets.UTF_8);
    byte[] value =
        JSON.createObjectNode()
            .put("subject", registration.subject())
            .put("version", registration.version())
            .put("id", registration.id())
            .put("schema", AvroSchemas.canonical(registration.schema()))
            .put("deleted", false)
            .toString()
            .getBytes(StandardCharsets.UTF_8);
    send(key, value, "schema id " + registration.id());
  }

  /** Confluent's key of a compatibility level: no subject for the global level. */
  private static byte[] configKey(String subject) {
    ObjectNode key = JSON.createObjectNode().put("keytype", "CONFIG");
    if (subject != null) {
      key.put("subject", subject);
    }
    return key.put("magic", 0).toString().getBytes(StandardCharsets.UTF_8);
  }

  private static String levelOf(String subject) {
    return subject == null
        ? "the global compatibility level"
        : "the compatibility level of subject " + subject;
  }

  /** "Cannot {@code what}: " and the cause of {@code e}, unwrapped from an ExecutionException. */
  private static SchemaStoreException failed(String what, Exception e) {
    Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
    return new SchemaStoreException("Cannot " + what + ": " + describe(cause), cause);
  }

  /** Appends one record and waits for the broker's acknowledgement (acks=all). */
  private void send(byte[] key, byte[] value, String what) {
    try {
      RecordMetadata written =
          producer
              .send(new ProducerRecord<>(topic, 0, key, value))
              .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      LOG.debug("Wrote {} to {} at offset {}", what, topic, written.offset());
    } catch (ExecutionException | TimeoutException | KafkaException e) {
      throw failed(
          "write "
              + what
              + " to topic "
              + topic
              + " at "
              + bootstrap
              + " within "
              + timeout.toSeconds()
              + " s",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SchemaStoreException("Interrupted while writing to schema topic " + topic, e);
    }
  }

  /** Reads the topic up to its current end, applying every record to the index. */
  private void catchUp() {
    try {
      TopicReader.catchUp(consumer, List.of(partition), timeout, this::apply);
    } catch (TopicReader.StalledException e) {
      throw new SchemaStoreException(
          "Cannot read schema topic "
              + topic
              + " at "
              + bootstrap
              + " to its end: "
              + e.getMessage(),
          e);
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      throw new SchemaStoreException(
          "Cannot read schema topic "
              + topic
              + " at "
              + bootstrap
              + " within "
              + timeout.toSeconds()
              + " s (is the broker up?)",
          e);
    } catch (org.apache.kafka.common.errors.InterruptException e) {
      Thread.currentThread().interrupt();
      throw new SchemaStoreException("Interrupted while reading schema topic " + topic, e);
    }
  }

  private void apply(ConsumerRecord<byte[], byte[]> record) {
    try {
      JsonNode key = record.key() == null ? null : JSON.readTree(record.key());
      String keyType = key == null ? "" : key.path("keytype").asText();
      if (keyType.equals("SCHEMA")) {
        applySchema(key, record.value());
      } else if (keyType.equals("CONFIG")) {
        applyConfig(key, record);
      }
      // NOOP, MODE, DELETE_SUBJECT and other records of Confluent's layout change nothing here.
    } catch (IOException | AvroRuntimeException e) {
      // One unreadable record must not make every other schema unavailable.
      LOG.warn(
          "Skipping unreadable record at offset {} of schema topic {}: {}",
          record.offset(),
          topic,
          e.getMessage());
    }
  }

  private void applySchema(JsonNode key, byte[] rawValue) throws IOException {
    String subject = key.path("subject").asText();
    int version = key.path("version").asInt();
    if (rawValue == null) {
      index.removeVersion(subject, version, 0); // Compaction tombstone of a hard delete.
      return;
    }
    JsonNode value = JSON.readTree(rawValue);
    if (!value.path("schemaType").asText("AVRO").equals("AVRO")) {
      return; // A shared Confluent topic may hold Protobuf/JSON schemas; this store serves Avro.
    }
    int id = value.path("id").asInt();
    RegisteredSchema registered =
        new RegisteredSchema(
            subject, version, id, AvroSchemas.parse(value.path("schema").asText()));
    index.put(registered);
    if (value.path("deleted").asBoolean(false)) {
      index.removeVersion(subject, version, id); // Soft delete: the id still resolves.
    }
  }

  private void applyConfig(JsonNode key, ConsumerRecord<byte[], byte[]> record) throws IOException {
    JsonNode subjectNode = key.path("subject");
    // Confluent writes the global key without a subject; older versions wrote "subject":null.
    String subject = subjectNode.isTextual() ? subjectNode.asText() : null;
    if (record.value() == null) {
      index.setCompatibility(subject, null);
      return;
    }
    String name = JSON.readTree(record.value()).path("compatibilityLevel").asText(null);
    Optional<CompatibilityLevel> level = CompatibilityLevel.forName(name);
    if (level.isPresent()) {
      index.setCompatibility(subject, level.get());
    } else if (name != null) {
      LOG.warn(
          "Ignoring unknown compatibility level {} at offset {} of schema topic {}",
          name,
          record.offset(),
          topic);
    }
    // A config without a level (only Confluent's compatibility groups or rules) sets none here.
  }

  private void ensureTopic(Properties clientProperties, short replicationFactor) {
    long timeoutMs = timeout.toMillis();
    try (Admin admin = Admin.create(clientProperties)) {
      if (!admin.listTopics().names().get(timeoutMs, TimeUnit.MILLISECONDS).contains(topic)) {
        NewTopic newTopic =
            new NewTopic(topic, 1, replicationFactor)
                .configs(
                    Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
        try {
          admin.createTopics(List.of(newTopic)).all().get(timeoutMs, TimeUnit.MILLISECONDS);
          LOG.info(
              "Created schema topic {} (compacted, replication factor {})",
              topic,
              replicationFactor);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e; // Another registry creating it at the same moment is fine.
          }
        }
      }
      TopicDescription description = describeWhenVisible(admin);
      if (description.partitions().size() != 1) {
        throw new SchemaStoreException(
            "Schema topic "
                + topic
                + " has "
                + description.partitions().size()
                + " partitions; the schema store needs exactly 1 (use another topic name)");
      }
    } catch (ExecutionException | TimeoutException e) {
      throw failed("create or describe schema topic " + topic + " at " + bootstrap, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SchemaStoreException("Interrupted while creating schema topic " + topic, e);
    }
  }

  /**
   * Describes the topic, retrying while the broker does not know it yet: a topic the controller has
   * just created reaches the broker's metadata a moment later.
   */
  private TopicDescription describeWhenVisible(Admin admin)
      throws ExecutionException, TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        return admin
            .describeTopics(List.of(topic))
            .allTopicNames()
            .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
            .get(topic);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)
            || System.nanoTime() > deadline) {
          throw e;
        }
      }
      Thread.sleep(METADATA_RETRY_MS); // Backoff before asking the broker again.
    }
  }

  private static Properties producerProperties(Properties clientProperties) {
    Properties props = new Properties();
    props.putAll(clientProperties);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "streamtrain-schema-store");
    return props;
  }

  private static Properties consumerProperties(Properties clientProperties) {
    Properties props = new Properties();
    props.putAll(clientProperties);
    props.remove(ConsumerConfig.GROUP_ID_CONFIG); // Assigned, never committed.
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "streamtrain-schema-store-reader");
    return props;
  }

  private static String describe(Throwable t) {
    String message = t.getMessage();
    return (message == null ? t.getClass().getSimpleName() : message).replaceAll("\\s+", " ");
  }
}
