package io.streamtrain.registry;

import org.apache.kafka.common.KafkaException;

/** The storage behind the embedded registry failed (Confluent answers these with 50001). */
public class SchemaStoreException extends KafkaException {
  private static final long serialVersionUID = 1L;

  public SchemaStoreException(String message, Throwable cause) {
    super(message, cause);
  }

  public SchemaStoreException(String message) {
    super(message);
  }
}
