package io.streamtrain.records;

/** A record that cannot be used, with the kind of problem for dead-letter headers and counters. */
public final class InvalidRecordException extends Exception {
  private final String kind;

  public InvalidRecordException(String kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public InvalidRecordException(String kind, String message) {
    this(kind, message, null);
  }

  /** A short stable name such as {@code wrong-magic-byte} or {@code label-out-of-range}. */
  public String kind() {
    return kind;
  }
}
