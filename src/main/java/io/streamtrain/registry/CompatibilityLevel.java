package io.streamtrain.registry;

import java.util.Locale;
import java.util.Optional;

/**
 * Confluent's schema compatibility levels. BACKWARD: the new schema can read data written with the
 * old one (upgrade consumers first). FORWARD: the old schema can read data written with the new one
 * (upgrade producers first). FULL: both. The {@code _TRANSITIVE} variants check against every
 * earlier version, the others against the latest only.
 */
public enum CompatibilityLevel {
  NONE(false, false, false),
  BACKWARD(true, false, false),
  BACKWARD_TRANSITIVE(true, false, true),
  FORWARD(false, true, false),
  FORWARD_TRANSITIVE(false, true, true),
  FULL(true, true, false),
  FULL_TRANSITIVE(true, true, true);

  /** The level of a registry where none is configured (Confluent's default). */
  public static final CompatibilityLevel DEFAULT = BACKWARD;

  /** Confluent's error message for a level it does not know (error code 42203). */
  static final String INVALID_MESSAGE =
      "Invalid compatibility level. Valid values are none, backward, forward, full, "
          + "backward_transitive, forward_transitive, and full_transitive";

  private final boolean backward;
  private final boolean forward;
  private final boolean transitive;

  CompatibilityLevel(boolean backward, boolean forward, boolean transitive) {
    this.backward = backward;
    this.forward = forward;
    this.transitive = transitive;
  }

  /** The level named {@code name}, in any letter case; empty for null or unknown names. */
  public static Optional<CompatibilityLevel> forName(String name) {
    if (name == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(valueOf(name.strip().toUpperCase(Locale.ROOT)));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** Whether a new schema must read data written with earlier ones. */
  public boolean backward() {
    return backward;
  }

  /** Whether earlier schemas must read data written with a new one. */
  public boolean forward() {
    return forward;
  }

  /** Whether every earlier version is checked, not only the latest. */
  public boolean transitive() {
    return transitive;
  }
}
