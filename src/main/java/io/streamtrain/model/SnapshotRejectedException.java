package io.streamtrain.model;

/**
 * A snapshot that must not be trained on or served: checksum mismatch, another architecture,
 * unexpected tensors or non-finite parameters. The message is one line naming model and version.
 */
public final class SnapshotRejectedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public SnapshotRejectedException(String message) {
    super(message);
  }
}
