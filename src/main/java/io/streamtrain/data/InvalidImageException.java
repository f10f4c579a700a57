package io.streamtrain.data;

/**
 * An image record that cannot be used, with the {@link Kind} of problem (dead-letter headers and
 * per-kind counters use it). The message is one line, e.g. {@code label 12 outside 0..9}.
 */
public class InvalidImageException extends RuntimeException {
  /** What is wrong with the image. */
  public enum Kind {
    /** Height, width or channels not positive, or channels not 1 or 3. */
    INVALID_DIMENSIONS,
    /** RAW data length differs from height x width x channels. */
    DATA_LENGTH_MISMATCH,
    /** The image's shape is not the model's input shape (no silent resize or colour change). */
    SHAPE_NOT_ACCEPTED,
    /** PNG/JPEG bytes that do not decode (truncated, corrupt, another format). */
    UNDECODABLE_IMAGE,
    /** A PNG/JPEG whose header's shape differs from the record's height/width/channels. */
    ENCODED_SHAPE_MISMATCH,
    /** A PNG/JPEG whose header declares more pixels than the limit (max-image-pixels). */
    IMAGE_TOO_LARGE,
    /** A pixel tensor holding NaN or infinity. */
    NON_FINITE_PIXELS,
    /** A label outside 0..classes-1. */
    LABEL_OUT_OF_RANGE,
    /** No label where training needs one. */
    LABEL_MISSING
  }

  private final Kind kind;
  private final String imageId;

  public InvalidImageException(Kind kind, String imageId, String message) {
    super(message);
    this.kind = kind;
    this.imageId = imageId;
  }

  public InvalidImageException(Kind kind, String imageId, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.imageId = imageId;
  }

  public Kind kind() {
    return kind;
  }

  /** Id of the offending image, or null when unknown. */
  public String imageId() {
    return imageId;
  }
}
