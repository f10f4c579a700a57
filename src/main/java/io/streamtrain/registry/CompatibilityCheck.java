package io.streamtrain.registry;

import java.util.List;

/**
 * A registry's answer to "may this schema become the next version of the subject?": the verdict
 * and, when the registry gives them, Confluent's messages saying what is incompatible.
 */
public record CompatibilityCheck(boolean compatible, List<String> messages) {
  public CompatibilityCheck {
    messages = List.copyOf(messages);
  }
}
