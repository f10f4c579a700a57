package io.streamtrain.kafka;

/** Thrown when no Kafka broker answers at the configured bootstrap address in time. */
public final class BrokerUnreachableException extends RuntimeException {
  public BrokerUnreachableException(String message, Throwable cause) {
    super(message, cause);
  }
}
