package io.streamtrain.registry;

import java.io.EOFException;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads Confluent-framed Avro into generated records: fetches the writer schema by the id in the
 * frame (once per id), and resolves it to the generated class's schema with Avro schema resolution,
 * so records written with older or newer compatible schemas read fine. Null bytes read as null
 * (tombstones). Bad records fail with a {@link RecordDecodingException} (a {@link
 * org.apache.kafka.common.errors.SerializationException} carrying a {@link
 * RecordDecodingException.Reason}) whose one-line message says what is wrong; an unreachable
 * registry fails with a {@link SchemaRegistryException} instead, since no record is at fault.
 * Thread-safe.
 */
public class AvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {
  private SchemaRegistryClient client;
  private Class<T> type;
  private final ConcurrentMap<Integer, SpecificDatumReader<T>> readers = new ConcurrentHashMap<>();
  private final ThreadLocal<BinaryDecoder> decoders = new ThreadLocal<>();

  /**
   * For Kafka's reflective construction; {@link #configure} must be called before use. The class
   * read is {@code specific.avro.value.type} (or {@code .key.type}) when set, else the generated
   * class named by the writer schema.
   */
  public AvroDeserializer() {}

  /** Reads values as {@code type}; {@link #configure} supplies the registry. */
  public AvroDeserializer(Class<T> type) {
    this.type = type;
  }

  /** A ready deserializer reading {@code type} with schemas from {@code client}. */
  public AvroDeserializer(Class<T> type, SchemaRegistryClient client) {
    this.type = type;
    this.client = client;
  }

  @Override
  @SuppressWarnings("unchecked")
  public void configure(Map<String, ?> configs, boolean isKey) {
    if (type == null) {
      String key =
          isKey ? SchemaRegistryConfig.SPECIFIC_KEY_TYPE : SchemaRegistryConfig.SPECIFIC_VALUE_TYPE;
      String className = SchemaRegistryConfig.string(configs, key);
      if (className != null) {
        try {
          Class<?> configured = Class.forName(className, true, contextClassLoader());
          if (!SpecificRecord.class.isAssignableFrom(configured)) {
            throw new ConfigException(key + " " + className + " is not a generated Avro class");
          }
          type = (Class<T>) configured;
        } catch (ClassNotFoundException e) {
          throw new ConfigException(
              key + " names class " + className + ", which is not on the classpath");
        }
      }
    }
    if (client == null) {
      client = SchemaRegistries.fromConfig(configs);
    }
  }

  @Override
  public T deserialize(String topic, byte[] bytes) {
    if (bytes == null) {
      return null;
    }
    int id = WireFormat.schemaId(bytes);
    SpecificDatumReader<T> reader = readers.get(id);
    if (reader == null) {
      reader = newReader(id);
    }
    BinaryDecoder decoder =
        DecoderFactory.get()
            .binaryDecoder(
                bytes,
                WireFormat.HEADER_SIZE,
                bytes.length - WireFormat.HEADER_SIZE,
                decoders.get());
    decoders.set(decoder);
    T value;
    try {
      value = reader.read(null, decoder);
    } catch (EOFException e) {
      throw new RecordDecodingException(
          RecordDecodingException.Reason.TRUNCATED_BODY,
          "Truncated Avro body: "
              + (bytes.length - WireFormat.HEADER_SIZE)
              + " bytes are too few for schema id "
              + id
              + " ("
              + reader.getSchema().getFullName()
              + ")",
          e);
    } catch (IOException | RuntimeException e) {
      // Avro reports corrupt bytes as AvroRuntimeException, negative lengths, bad indexes.
      throw new RecordDecodingException(
          RecordDecodingException.Reason.CORRUPT_BODY,
          "Corrupt Avro body for schema id "
              + id
              + " ("
              + reader.getSchema().getFullName()
              + "): "
              + e.getClass().getSimpleName()
              + " "
              + e.getMessage(),
          e);
    }
    try {
      if (!decoder.isEnd()) {
        throw new RecordDecodingException(
            RecordDecodingException.Reason.TRAILING_BYTES,
            "Avro body for schema id "
                + id
                + " ("
                + reader.getSchema().getFullName()
                + ") has trailing bytes: the record was not written with the schema its id names");
      }
    } catch (IOException e) {
      throw new RecordDecodingException(
          RecordDecodingException.Reason.TRAILING_BYTES,
          "Cannot check the end of the Avro body: " + e.getMessage(),
          e);
    }
    return value;
  }

  private SpecificDatumReader<T> newReader(int id) {
    if (client == null) {
      throw new IllegalStateException(
          "AvroDeserializer is not configured: set "
              + SchemaRegistryConfig.URL
              + " or build it with a SchemaRegistryClient");
    }
    Schema writer;
    try {
      writer = client.getById(id);
    } catch (SchemaRegistryException e) {
      if (e.errorCode() == SchemaRegistryException.SCHEMA_NOT_FOUND
          || (e.isNotFound() && !e.isRetriable())) {
        throw new RecordDecodingException(
            RecordDecodingException.Reason.UNKNOWN_SCHEMA_ID,
            "Schema id " + id + " is not in the registry",
            e);
      }
      throw e;
    }
    Class<T> readClass = type != null ? type : classFor(id, writer);
    SpecificData data = SpecificData.getForClass(readClass);
    Schema reader = data.getSchema(readClass);
    if (!SchemaCompatibility.schemaNameEquals(reader, writer)
        || reader.getType() != writer.getType()) {
      throw new RecordDecodingException(
          RecordDecodingException.Reason.WRONG_RECORD_TYPE,
          "Schema id "
              + id
              + " is "
              + AvroSchemas.describe(writer)
              + ", not readable as "
              + AvroSchemas.describe(reader));
    }
    SchemaCompatibility.SchemaPairCompatibility compatibility =
        SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
    if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
      SchemaCompatibility.Incompatibility first =
          compatibility.getResult().getIncompatibilities().get(0);
      throw new RecordDecodingException(
          RecordDecodingException.Reason.INCOMPATIBLE_SCHEMA,
          "Schema id "
              + id
              + " ("
              + AvroSchemas.describe(writer)
              + ") is not readable as "
              + readClass.getName()
              + ": "
              + first.getType()
              + " at "
              + first.getLocation()
              + " ("
              + first.getMessage()
              + ")");
    }
    SpecificDatumReader<T> created = new SpecificDatumReader<>(writer, reader, data);
    SpecificDatumReader<T> raced = readers.putIfAbsent(id, created);
    return raced != null ? raced : created;
  }

  @SuppressWarnings("unchecked")
  private Class<T> classFor(int id, Schema writer) {
    Class<?> generated =
        writer.getType() == Schema.Type.RECORD ? SpecificData.get().getClass(writer) : null;
    if (generated == null || !SpecificRecord.class.isAssignableFrom(generated)) {
      throw new RecordDecodingException(
          RecordDecodingException.Reason.NO_GENERATED_CLASS,
          "Schema id "
              + id
              + " is "
              + AvroSchemas.describe(writer)
              + ", which has no generated class on the classpath (set "
              + SchemaRegistryConfig.SPECIFIC_VALUE_TYPE
              + ")");
    }
    return (Class<T>) generated;
  }

  private static ClassLoader contextClassLoader() {
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    return loader != null ? loader : AvroDeserializer.class.getClassLoader();
  }

  SchemaRegistryClient client() {
    return client;
  }

  void useClient(SchemaRegistryClient client) {
    this.client = client;
  }

  @Override
  public void close() {
    decoders.remove();
  }
}
