package io.streamtrain.topology;

import org.apache.kafka.common.errors.SerializationException;

/** Names the kind of a deserialization failure for dead-letter headers and counters. */
final class DeserializationErrors {
  private DeserializationErrors() {}

  static String kind(byte[] value, SerializationException e) {
    if (value.length < 5) {
      return "truncated-framing";
    }
    if (value[0] != 0) {
      return "wrong-magic-byte";
    }
    String message = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
    if (message.contains("not in the registry") || message.contains("not found")) {
      return "unknown-schema-id";
    }
    if (message.contains("not readable as") || message.contains("another record")) {
      return "wrong-record-type";
    }
    return "truncated-or-corrupt-avro";
  }
}
