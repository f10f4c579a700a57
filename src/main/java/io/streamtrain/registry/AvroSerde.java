package io.streamtrain.registry;

import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serde of a generated Avro class in Confluent's wire format: an {@link AvroSerializer} and an
 * {@link AvroDeserializer} sharing one registry client.
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {
  private final AvroSerializer<T> serializer;
  private final AvroDeserializer<T> deserializer;

  /** A serde for {@code type} that {@link #configure} connects to {@code schema.registry.url}. */
  public AvroSerde(Class<T> type) {
    this.serializer = new AvroSerializer<>();
    this.deserializer = new AvroDeserializer<>(type);
  }

  private AvroSerde(Class<T> type, SchemaRegistryClient client, boolean isKey) {
    this.serializer = new AvroSerializer<>(client, isKey);
    this.deserializer = new AvroDeserializer<>(type, client);
  }

  /**
   * A ready serde for {@code type} using {@code client}; {@code isKey} picks the subject suffix.
   */
  public static <T extends SpecificRecord> AvroSerde<T> of(
      Class<T> type, SchemaRegistryClient client, boolean isKey) {
    return new AvroSerde<>(type, client, isKey);
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    if (serializer.client() == null) {
      // One client (one cache, one connection pool) for both directions.
      SchemaRegistryClient client = SchemaRegistries.fromConfig(configs);
      serializer.useClient(client);
      deserializer.useClient(client);
    }
    serializer.configure(configs, isKey);
    deserializer.configure(configs, isKey);
  }

  @Override
  public Serializer<T> serializer() {
    return serializer;
  }

  @Override
  public Deserializer<T> deserializer() {
    return deserializer;
  }

  @Override
  public void close() {
    serializer.close();
    deserializer.close();
  }
}
