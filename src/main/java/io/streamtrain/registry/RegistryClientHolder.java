package io.streamtrain.registry;

import java.util.Map;

/**
 * The registry client of an Avro serializer or deserializer: given when built, shared by an {@link
 * AvroSerde}, or made from the Kafka configuration.
 */
abstract class RegistryClientHolder {
  private SchemaRegistryClient client;

  RegistryClientHolder(SchemaRegistryClient client) {
    this.client = client;
  }

  SchemaRegistryClient client() {
    return client;
  }

  void useClient(SchemaRegistryClient client) {
    this.client = client;
  }

  /** Makes the client from {@code schema.registry.url} and friends unless there is one already. */
  void clientFromConfig(Map<String, ?> configs) {
    if (client == null) {
      client = SchemaRegistries.fromConfig(configs);
    }
  }

  /** The client, or an error saying how to configure {@code what} when there is none. */
  SchemaRegistryClient configuredClient(String what) {
    if (client == null) {
      throw new IllegalStateException(
          what
              + " is not configured: set "
              + SchemaRegistryConfig.URL
              + " or build it with a SchemaRegistryClient");
    }
    return client;
  }
}
