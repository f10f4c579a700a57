package io.streamtrain.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Windows of prequential figures, on a clock the test moves. */
class PrequentialMetricsTest {
  private final AtomicLong clock = new AtomicLong(1_000);

  @Test
  void shouldSummariseEveryKStepsAndStartTheNextWindowEmpty() {
    PrequentialMetrics metrics = new PrequentialMetrics(2, clock::get);
    assertTrue(metrics.add(1.0, 3, 4).isEmpty());
    clock.addAndGet(500_000_000L);
    PrequentialMetrics.Window first = metrics.add(2.0, 1, 4).orElseThrow();
    assertEquals(1.5, first.meanLoss(), 1e-12, "mean over steps");
    assertEquals(0.5, first.accuracy(), 1e-12, "4 correct of 8");
    assertEquals(8, first.examples());
    assertEquals(16.0, first.imagesPerSecond(), 1e-9, "8 examples in half a second");

    assertTrue(metrics.add(4.0, 4, 4).isEmpty());
    clock.addAndGet(1_000_000_000L);
    PrequentialMetrics.Window second = metrics.add(6.0, 0, 4).orElseThrow();
    assertEquals(5.0, second.meanLoss(), 1e-12);
    assertEquals(0.5, second.accuracy(), 1e-12);
    assertEquals(8.0, second.imagesPerSecond(), 1e-9);
  }

  @Test
  void shouldReportEveryStepWhenKIsOne() {
    PrequentialMetrics metrics = new PrequentialMetrics(1, clock::get);
    PrequentialMetrics.Window window = metrics.add(0.25, 2, 2).orElseThrow();
    assertEquals(0.25, window.meanLoss(), 1e-12);
    assertEquals(1.0, window.accuracy(), 1e-12);
    assertTrue(window.imagesPerSecond() > 0, "no division by a zero duration");
  }
}
