package io.streamtrain.registry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes generated Avro records in Confluent's wire format. The subject is {@code <topic>-value} or
 * {@code <topic>-key} (TopicNameStrategy); the schema is registered on first use (or only looked up
 * when {@code auto.register.schemas=false}) and its id cached, so steady-state serialization makes
 * no registry calls. Usable as a plain Kafka serializer (no-arg constructor, {@code
 * schema.registry.url} in {@link #configure}) or built with a client. Thread-safe.
 */
public class AvroSerializer<T extends SpecificRecord> extends RegistryClientHolder
    implements Serializer<T> {
  /** Buffers grown beyond this (model snapshots) are not kept for reuse. */
  private static final int MAX_RETAINED_BUFFER = 1 << 20;

  private boolean isKey;
  private boolean autoRegister = true;
  private boolean removeJavaProperties = true;
  private final ConcurrentMap<TopicSchema, Writer<T>> writers = new ConcurrentHashMap<>();
  private final ThreadLocal<Buffer> buffers = ThreadLocal.withInitial(Buffer::new);

  /** For Kafka's reflective construction; {@link #configure} must be called before use. */
  public AvroSerializer() {
    super(null);
  }

  /** A ready serializer registering under TopicNameStrategy subjects in {@code client}. */
  public AvroSerializer(SchemaRegistryClient client, boolean isKey) {
    super(client);
    this.isKey = isKey;
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    this.isKey = isKey;
    this.autoRegister =
        SchemaRegistryConfig.bool(configs, SchemaRegistryConfig.AUTO_REGISTER_SCHEMAS, true);
    this.removeJavaProperties =
        SchemaRegistryConfig.bool(configs, SchemaRegistryConfig.REMOVE_JAVA_PROPERTIES, true);
    clientFromConfig(configs);
  }

  /** Whether to register schemas on first use (default) or only look them up. */
  public AvroSerializer<T> autoRegister(boolean autoRegister) {
    this.autoRegister = autoRegister;
    return this;
  }

  @Override
  public byte[] serialize(String topic, T data) {
    if (data == null) {
      return null; // Tombstones stay null so compaction and deletes work.
    }
    Writer<T> writer = writers.get(new TopicSchema(topic, data.getSchema()));
    if (writer == null) {
      writer = newWriter(topic, data);
    }
    Buffer buffer = buffers.get();
    try {
      buffer.out.reset();
      buffer.out.write(writer.header);
      buffer.encoder = EncoderFactory.get().binaryEncoder(buffer.out, buffer.encoder);
      writer.datumWriter.write(data, buffer.encoder);
      buffer.encoder.flush();
      return buffer.out.toByteArray();
    } catch (IOException | AvroRuntimeException | ClassCastException | NullPointerException e) {
      // Avro reports a missing required field as an NPE naming the field.
      throw new SerializationException(
          "Cannot serialize "
              + data.getSchema().getFullName()
              + " for topic "
              + topic
              + ": "
              + e.getMessage(),
          e);
    } finally {
      if (buffer.out.size() > MAX_RETAINED_BUFFER) {
        buffers.remove();
      }
    }
  }

  private Writer<T> newWriter(String topic, T data) {
    SchemaRegistryClient client = configuredClient("AvroSerializer");
    if (topic == null) {
      throw new SerializationException(
          "Cannot serialize without a topic: the subject is <topic>-" + (isKey ? "key" : "value"));
    }
    Schema schema = data.getSchema();
    Schema registered = removeJavaProperties ? AvroSchemas.withoutJavaProperties(schema) : schema;
    String subject = Subjects.topicNameStrategy(topic, isKey);
    int id;
    try {
      id =
          autoRegister
              ? client.register(subject, registered)
              : client.lookup(subject, registered).id();
    } catch (SchemaRegistryException e) {
      if (e.isRetriable()) {
        throw e; // Not this record's fault: an unreachable registry must not dead-letter records.
      }
      if (!autoRegister && e.isNotFound()) {
        throw new SerializationException(
            "Schema "
                + schema.getFullName()
                + " is not registered under subject "
                + subject
                + " at "
                + client.url()
                + " and "
                + SchemaRegistryConfig.AUTO_REGISTER_SCHEMAS
                + "=false: register it first",
            e);
      }
      throw new SerializationException(e.getMessage(), e);
    }
    Writer<T> writer =
        new Writer<>(
            WireFormat.header(id),
            new SpecificDatumWriter<>(schema, SpecificData.getForClass(data.getClass())));
    writers.put(new TopicSchema(topic, schema), writer);
    return writer;
  }

  @Override
  public void close() {
    buffers.remove();
  }

  private record TopicSchema(String topic, Schema schema) {}

  private record Writer<T>(byte[] header, SpecificDatumWriter<T> datumWriter) {}

  /** Per-thread output buffer and encoder, reused across records. */
  private static final class Buffer {
    final ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
    BinaryEncoder encoder;
  }
}
