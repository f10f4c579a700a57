package io.streamtrain.data;

import java.util.Locale;

/** A dataset split, as the CLI's {@code --split train|test} names it. */
public enum Split {
  TRAIN,
  TEST;

  /** Parses {@code train} or {@code test} (any case); says what is allowed otherwise. */
  public static Split parse(String text) {
    for (Split split : values()) {
      if (split.name().equalsIgnoreCase(text.trim())) {
        return split;
      }
    }
    throw new IllegalArgumentException("unknown split '" + text + "': use train or test");
  }

  /** Lower-case name used in ids and topic names: {@code train} or {@code test}. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
