package io.streamtrain.report;

import static io.streamtrain.report.SyntheticRun.metric;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.schema.MetricKind;
import io.streamtrain.schema.TrainingMetric;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LearningCurvesTest {

  @Test
  void shouldSortRecordsIntoCurvesByKindAndIgnoreOtherModels() {
    List<TrainingMetric> metrics = new ArrayList<>(SyntheticRun.quickstart("a", 2));
    metrics.addAll(SyntheticRun.quickstart("b", 3));

    LearningCurves curves = LearningCurves.from("a", metrics);

    assertEquals(2 * 10, curves.batchLoss().size());
    assertEquals(2 * SyntheticRun.STEPS_PER_EPOCH / 100, curves.prequential().size());
    assertEquals(List.of(1, 2), curves.testEpochs().stream().map(e -> e.epoch()).toList());
    assertEquals(2 * SyntheticRun.STEPS_PER_EPOCH, curves.version());
    assertEquals(0.579, curves.testEpochs().get(1).accuracy(), 1e-12);
    assertEquals(
        metrics.stream().filter(m -> m.getModelName().equals("a")).count(), curves.records());
  }

  @Test
  void shouldKeepOnlyTheRunAfterARestartFromScratch() {
    List<TrainingMetric> metrics = new ArrayList<>(SyntheticRun.quickstart("m", 2));
    int firstRun = metrics.size();
    metrics.addAll(SyntheticRun.quickstart("m", 1));

    LearningCurves curves = LearningCurves.from("m", metrics);

    assertEquals(List.of(1), curves.testEpochs().stream().map(e -> e.epoch()).toList());
    assertEquals(SyntheticRun.STEPS_PER_EPOCH, curves.version());
    assertEquals(firstRun, curves.superseded());
  }

  @Test
  void shouldReplaceOnlyThePointsAfterTheStepATrainerResumedFrom() {
    List<TrainingMetric> metrics = new ArrayList<>();
    long t = 1_000;
    for (long step = 100; step <= 800; step += 100) {
      metrics.add(metric("m", 1, step, MetricKind.PREQUENTIAL, 2.0, 0.5, 100.0, 6400L, t++));
    }
    // A crash after step 800; the trainer resumed from its snapshot at step 500.
    for (long step = 600; step <= 900; step += 100) {
      metrics.add(metric("m", 1, step, MetricKind.PREQUENTIAL, 1.0, 0.6, 100.0, 6400L, t++));
    }

    LearningCurves curves = LearningCurves.from("m", metrics);

    assertEquals(
        List.of(100L, 200L, 300L, 400L, 500L, 600L, 700L, 800L, 900L),
        curves.prequential().stream().map(p -> p.step()).toList());
    assertEquals(2.0, curves.prequential().get(4).loss());
    assertEquals(1.0, curves.prequential().get(5).loss());
    assertEquals(3, curves.superseded());
  }

  @Test
  void shouldKeepRollbacksAsEventsAndDropThePointsTheyUndid() {
    List<TrainingMetric> metrics = new ArrayList<>();
    metrics.add(metric("m", 1, 100, MetricKind.PREQUENTIAL, 2.0, 0.5, null, 6400L, 1));
    metrics.add(metric("m", 1, 200, MetricKind.PREQUENTIAL, Double.NaN, 0.1, null, 6400L, 2));
    metrics.add(metric("m", 1, 100, MetricKind.ROLLBACK, null, null, null, 20L, 3));

    LearningCurves curves = LearningCurves.from("m", metrics);

    assertEquals(1, curves.prequential().size());
    assertEquals(1, curves.events().size());
    assertEquals("ROLLBACK", curves.events().get(0).kind());
    assertEquals(100, curves.events().get(0).step());
  }

  @Test
  void shouldPlaceEpochEndsAtTheTestEvaluationsAndTheRunningEpochAtItsLastStep() {
    List<TrainingMetric> metrics = new ArrayList<>(SyntheticRun.quickstart("m", 1));
    metrics.add(metric("m", 2, 1000, MetricKind.PREQUENTIAL, 1.0, 0.6, null, 6400L, 1));

    Map<Integer, Long> ends = LearningCurves.from("m", metrics).epochEndSteps();

    assertEquals(Map.of(1, (long) SyntheticRun.STEPS_PER_EPOCH, 2, 1000L), ends);
  }

  @Test
  void shouldBeEmptyWithoutRecordsOfTheModel() {
    LearningCurves curves = LearningCurves.from("nobody", SyntheticRun.quickstart("m", 1));

    assertTrue(curves.isEmpty());
    assertEquals(0, curves.version());
  }
}
