package io.streamtrain.records;

import io.streamtrain.registry.RecordDecodingException;
import io.streamtrain.registry.SchemaRegistryException;
import io.streamtrain.registry.WireFormat;
import java.io.EOFException;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Names the kind of a deserialization failure for dead-letter headers and counters: the framing
 * first (too short, wrong magic byte), then what the cause chain says (a schema id the registry
 * does not know, a body that ends early), then the message of a schema of another record type.
 */
final class DeserializationErrors {
  static final String TRUNCATED_FRAMING = "truncated-framing";
  static final String WRONG_MAGIC_BYTE = "wrong-magic-byte";
  static final String UNKNOWN_SCHEMA_ID = "unknown-schema-id";
  static final String WRONG_RECORD_TYPE = "wrong-record-type";
  static final String TRUNCATED_AVRO = "truncated-avro";
  static final String CORRUPT_AVRO = "corrupt-avro";

  /** Every kind {@link #kind} returns. */
  static final List<String> KINDS =
      List.of(
          WRONG_MAGIC_BYTE,
          TRUNCATED_FRAMING,
          UNKNOWN_SCHEMA_ID,
          WRONG_RECORD_TYPE,
          TRUNCATED_AVRO,
          CORRUPT_AVRO);

  private DeserializationErrors() {}

  static String kind(byte[] value, SerializationException e) {
    if (e instanceof RecordDecodingException decoding) {
      return switch (decoding.reason()) {
        case RECORD_TOO_SHORT -> TRUNCATED_FRAMING;
        case UNKNOWN_MAGIC_BYTE -> WRONG_MAGIC_BYTE;
        case UNKNOWN_SCHEMA_ID -> UNKNOWN_SCHEMA_ID;
        case WRONG_RECORD_TYPE, NO_GENERATED_CLASS, INCOMPATIBLE_SCHEMA -> WRONG_RECORD_TYPE;
        case TRUNCATED_BODY -> TRUNCATED_AVRO;
        case CORRUPT_BODY, TRAILING_BYTES -> CORRUPT_AVRO;
      };
    }
    if (value.length < WireFormat.HEADER_SIZE) {
      return TRUNCATED_FRAMING;
    }
    if (value[0] != WireFormat.MAGIC_BYTE) {
      return WRONG_MAGIC_BYTE;
    }
    if (hasCause(e, SchemaRegistryException.class)) {
      return UNKNOWN_SCHEMA_ID;
    }
    if (hasCause(e, EOFException.class)) {
      return TRUNCATED_AVRO;
    }
    // AvroDeserializer's words for a writer schema that is not a LabeledImage.
    String message = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
    if (message.contains("not readable as") || message.contains("no generated class")) {
      return WRONG_RECORD_TYPE;
    }
    return CORRUPT_AVRO;
  }

  private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }
}
