package io.streamtrain.training;

import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The dead-letter counts per kind a trainer has reported: each snapshot carries them, and a kind's
 * count is reported again (a DEAD_LETTER metric) only when it changed, also across restarts.
 */
final class DeadLetterReport {
  /** Prefix of the per-kind counts in ModelSnapshot.metrics. */
  static final String PREFIX = "deadLetters.";

  private final Map<String, Long> reported = new HashMap<>();

  /** Carries on from the counts of a snapshot's metrics. */
  void restore(Map<String, Double> snapshotMetrics) {
    snapshotMetrics.forEach(
        (name, value) -> {
          if (name.startsWith(PREFIX)) {
            reported.put(name.substring(PREFIX.length()), value.longValue());
          }
        });
  }

  /** Adds {@code counts} to a snapshot's metrics under their names. */
  static void addTo(Map<String, Double> snapshotMetrics, Map<String, Long> counts) {
    counts.forEach((kind, n) -> snapshotMetrics.put(PREFIX + kind, (double) n));
  }

  /** Calls {@code report} with each kind whose count changed since it was last reported. */
  void reportChanged(Map<String, Long> counts, BiConsumer<String, Long> report) {
    counts.forEach(
        (kind, n) -> {
          if (!n.equals(reported.get(kind))) {
            report.accept(kind, n);
            reported.put(kind, n);
          }
        });
  }
}
