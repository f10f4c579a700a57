package io.streamtrain.registry;

import org.apache.kafka.common.KafkaException;

/**
 * A schema registry could not do what was asked: it answered with an error (the HTTP status and
 * Confluent's {@code error_code} are kept) or could not be reached at all ({@code httpStatus() ==
 * 0}). This is not a problem of one record, so it is deliberately not a {@link
 * org.apache.kafka.common.errors.SerializationException}: dead-letter handling must not swallow an
 * unreachable registry.
 */
public class SchemaRegistryException extends KafkaException {
  private static final long serialVersionUID = 1L;

  /** Confluent error codes (the {@code error_code} field of an error answer). */
  public static final int SUBJECT_NOT_FOUND = 40401;

  public static final int VERSION_NOT_FOUND = 40402;
  public static final int SCHEMA_NOT_FOUND = 40403;
  public static final int SUBJECT_COMPATIBILITY_NOT_CONFIGURED = 40408;
  public static final int INCOMPATIBLE_SCHEMA = 409;
  public static final int INVALID_SCHEMA = 42201;
  public static final int INVALID_VERSION = 42202;
  public static final int INVALID_COMPATIBILITY_LEVEL = 42203;
  public static final int STORE_ERROR = 50001;
  public static final int OPERATION_TIMEOUT = 50002;
  public static final int FORWARDING_ERROR = 50003;

  /** Error code used when an answer carried no Confluent error code, or there was no answer. */
  public static final int NO_ERROR_CODE = -1;

  private final int httpStatus;
  private final int errorCode;

  public SchemaRegistryException(String message, int httpStatus, int errorCode, Throwable cause) {
    super(message, cause);
    this.httpStatus = httpStatus;
    this.errorCode = errorCode;
  }

  public SchemaRegistryException(String message, int httpStatus, int errorCode) {
    this(message, httpStatus, errorCode, null);
  }

  /** The HTTP status of the answer, 0 when the registry could not be reached. */
  public int httpStatus() {
    return httpStatus;
  }

  /** Confluent's error code (e.g. 40403), or {@link #NO_ERROR_CODE}. */
  public int errorCode() {
    return errorCode;
  }

  /** True when the registry answered that the subject, version or schema does not exist. */
  public boolean isNotFound() {
    return errorCode == SUBJECT_NOT_FOUND
        || errorCode == VERSION_NOT_FOUND
        || errorCode == SCHEMA_NOT_FOUND
        || (errorCode == NO_ERROR_CODE && httpStatus == 404);
  }

  /** True when the registry could not be reached or failed on its side (worth retrying later). */
  public boolean isRetriable() {
    return httpStatus == 0 || httpStatus >= 500 || httpStatus == 429;
  }
}
