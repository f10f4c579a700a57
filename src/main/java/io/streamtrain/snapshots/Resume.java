package io.streamtrain.snapshots;

/** Where a training run starts: the newest snapshot, nothing, or one exact version. */
public record Resume(Kind kind, long version) {
  public enum Kind {
    LATEST,
    FROM_SCRATCH,
    VERSION
  }

  public static Resume latest() {
    return new Resume(Kind.LATEST, -1);
  }

  public static Resume fromScratch() {
    return new Resume(Kind.FROM_SCRATCH, -1);
  }

  public static Resume version(long version) {
    if (version < 0) {
      throw new IllegalArgumentException(
          "--snapshot-version must be a version on the topic, >= 0 (got " + version + ")");
    }
    return new Resume(Kind.VERSION, version);
  }
}
