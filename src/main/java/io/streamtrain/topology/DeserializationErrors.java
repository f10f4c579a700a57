package io.streamtrain.topology;

import io.streamtrain.registry.RecordDecodingException;
import org.apache.kafka.common.errors.SerializationException;

/** Names the kind of a deserialization failure for dead-letter headers and counters. */
final class DeserializationErrors {
  private DeserializationErrors() {}

  static String kind(SerializationException e) {
    if (e instanceof RecordDecodingException decoding) {
      return decoding.reason().kind();
    }
    return "undecodable-record";
  }
}
