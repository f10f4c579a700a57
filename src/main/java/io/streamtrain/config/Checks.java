package io.streamtrain.config;

/** Checks of flag values at the edge, failing with a message that names the flag. */
public final class Checks {
  private Checks() {}

  /** An IllegalArgumentException saying {@code message} unless {@code ok}. */
  public static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /** "{@code flag} must be at least {@code min} (got {@code value})" unless it is. */
  public static void atLeast(String flag, long value, long min) {
    require(value >= min, flag + " must be at least " + min + " (got " + value + ")");
  }
}
