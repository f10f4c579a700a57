package io.streamtrain.training;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeadLetterReportTest {

  private static List<String> reported(DeadLetterReport report, Map<String, Long> counts) {
    List<String> out = new ArrayList<>();
    report.reportChanged(counts, (kind, n) -> out.add(kind + "=" + n));
    return out;
  }

  @Test
  void shouldReportAKindOnlyWhenItsCountChanged() {
    DeadLetterReport report = new DeadLetterReport();
    assertEquals(List.of("bad-shape=1"), reported(report, Map.of("bad-shape", 1L)));
    assertEquals(List.of(), reported(report, Map.of("bad-shape", 1L)));
    assertEquals(List.of("bad-shape=2"), reported(report, Map.of("bad-shape", 2L)));
  }

  @Test
  void shouldNotReportAgainWhatTheSnapshotItResumedFromCarried() {
    Map<String, Double> snapshotMetrics = new HashMap<>();
    DeadLetterReport.addTo(snapshotMetrics, Map.of("label-out-of-range", 2L));
    assertEquals(Map.of("deadLetters.label-out-of-range", 2.0), snapshotMetrics);

    DeadLetterReport resumed = new DeadLetterReport();
    resumed.restore(Map.of("deadLetters.label-out-of-range", 2.0, "badSteps", 4.0));
    assertEquals(List.of(), reported(resumed, Map.of("label-out-of-range", 2L)));
    assertEquals(
        List.of("label-out-of-range=3"), reported(resumed, Map.of("label-out-of-range", 3L)));
  }
}
