package io.streamtrain.registry;

import java.util.Locale;
import org.apache.kafka.common.errors.SerializationException;

/**
 * One record's bytes cannot be read: bad framing, an unknown schema id, another record type, or a
 * broken Avro body. The {@link Reason} lets dead-letter handling classify the failure without
 * parsing the one-line message.
 */
public class RecordDecodingException extends SerializationException {
  private static final long serialVersionUID = 1L;

  /** Why the record could not be decoded. */
  public enum Reason {
    RECORD_TOO_SHORT,
    UNKNOWN_MAGIC_BYTE,
    UNKNOWN_SCHEMA_ID,
    WRONG_RECORD_TYPE,
    INCOMPATIBLE_SCHEMA,
    NO_GENERATED_CLASS,
    TRUNCATED_BODY,
    CORRUPT_BODY,
    TRAILING_BYTES;

    /** Kebab-case name for headers and metrics, e.g. {@code unknown-schema-id}. */
    public String kind() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  private final Reason reason;

  public RecordDecodingException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public RecordDecodingException(Reason reason, String message) {
    this(reason, message, null);
  }

  public Reason reason() {
    return reason;
  }
}
