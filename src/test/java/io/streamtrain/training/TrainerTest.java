package io.streamtrain.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.config.Training;
import io.streamtrain.metrics.TrainingListener;
import io.streamtrain.records.DeadLetters;
import io.streamtrain.schema.MetricKind;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.NamedTensor;
import io.streamtrain.schema.TrainingMetric;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

/** The trainer alone under MockProcessorContext: numerical guard, rollback, restarts, versions. */
class TrainerTest {
  private static final int FEATURES = 16;
  private static final int BATCH = 8;
  private static final int MAX_BAD_STEPS = 3;

  private static TrainingSetup training() {
    return TrainingSetup.of(
        Training.builder()
            .architecture("mlp:16-8-2")
            .seed(7)
            .batches(BATCH, 64)
            .optimizer("sgd", 0.5, 0.9, 0)
            .device("cpu")
            .snapshots(0, 0)
            .metricsEvery(1)
            .maxBadSteps(MAX_BAD_STEPS)
            .evaluateEachEpoch(false)
            .trainingFirst(false)
            .build());
  }

  private static Trainer trainer(TrainerDependencies deps) {
    return new Trainer("m", training(), deps, new DeadLetters("dlq"));
  }

  private static MockProcessorContext<Object, Object> context() {
    MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
    context.setCurrentSystemTimeMs(1_000L);
    return context;
  }

  /** Batch {@code index} of {@code count} in a window: learnable data, or NaN pixels. */
  private static Batch batch(long window, int index, int count, boolean nan) {
    Random random = new Random(window * 100 + index);
    float[] pixels = new float[BATCH * FEATURES];
    int[] labels = new int[BATCH];
    for (int i = 0; i < BATCH; i++) {
      labels[i] = random.nextInt(2);
      for (int p = 0; p < FEATURES; p++) {
        boolean bright = (p < FEATURES / 2) == (labels[i] == 0);
        pixels[i * FEATURES + p] =
            nan ? Float.NaN : (bright ? 0.8f : 0.1f) + random.nextFloat() * 0.1f;
      }
    }
    return new Batch(window, index, count, 1, false, BATCH, pixels, labels, "feed-0", 0, 100, null);
  }

  private static void feed(Trainer trainer, Batch batch) {
    trainer.process(new Record<>(batch.windowIndex(), batch, 1_000L));
  }

  private static List<ModelSnapshot> snapshots(MockProcessorContext<Object, Object> context) {
    return context.forwarded(Trainer.SNAPSHOTS).stream()
        .map(f -> (ModelSnapshot) f.record().value())
        .toList();
  }

  private static List<TrainingMetric> metrics(
      MockProcessorContext<Object, Object> context, MetricKind kind) {
    return context.forwarded(Trainer.METRICS).stream()
        .map(f -> (TrainingMetric) f.record().value())
        .filter(m -> m.getKind() == kind)
        .toList();
  }

  private static float[] floats(NamedTensor tensor) {
    ByteBuffer data = tensor.getData().duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN);
    float[] values = new float[data.remaining() / 4];
    data.asFloatBuffer().get(values);
    return values;
  }

  @Test
  void shouldSkipAndCountANanBatchWithoutChangingTheModel() {
    afterTwoSteps(
        (trainer, context) -> {
          ModelSnapshot before = snapshots(context).get(0);
          assertEquals(2, before.getVersion());

          feed(trainer, batch(1, 0, 2, true));
          feed(trainer, batch(1, 1, 2, false));

          assertEquals(1, trainer.badSteps());
          ModelSnapshot after = snapshots(context).get(1);
          assertEquals(3, after.getVersion(), "the NaN step is not applied, the next one is");
          assertEquals(1.0, after.getMetrics().get(RollbackGuard.BAD_STEPS));
          assertEquals(2.0 * BATCH + BATCH, after.getMetrics().get(Trainer.EXAMPLES_TRAINED));
          assertTrue(
              metrics(context, MetricKind.ROLLBACK).isEmpty(), "one bad step is no rollback");
        });
  }

  @Test
  void shouldRollBackAfterMaxBadStepsAndPublishTheRolledBackModelAtOnce() {
    afterTwoSteps(
        (trainer, context) -> {
          ModelSnapshot good = snapshots(context).get(0);
          feed(trainer, batch(1, 0, 8, false)); // moves the parameters past the snapshot
          for (int i = 1; i <= MAX_BAD_STEPS; i++) {
            feed(trainer, batch(1, i, 8, true));
          }

          List<TrainingMetric> rollbacks = metrics(context, MetricKind.ROLLBACK);
          assertEquals(1, rollbacks.size());
          assertTrue(
              rollbacks.get(0).getDetail().contains("snapshot version 2"), rollbacks.toString());
          List<ModelSnapshot> published = snapshots(context);
          assertEquals(2, published.size(), "a snapshot right after the rollback");
          ModelSnapshot rolledBack = published.get(1);
          assertEquals(3, rolledBack.getVersion(), "the version counter does not go back");
          assertEquals(1, rolledBack.getWindowIndex());
          assertEquals(
              1 + MAX_BAD_STEPS, rolledBack.getBatchesApplied(), "at the current position");
          assertEquals(1.0, rolledBack.getMetrics().get(RollbackGuard.ROLLBACKS));
          for (int t = 0; t < good.getTensors().size(); t++) {
            assertArrayEquals(
                floats(good.getTensors().get(t)), floats(rolledBack.getTensors().get(t)), 0f);
          }
          for (ModelSnapshot s : published) {
            for (NamedTensor tensor : s.getTensors()) {
              for (float v : floats(tensor)) {
                assertTrue(Float.isFinite(v));
              }
            }
          }
        });
  }

  @Test
  void shouldStartOverFromItsSnapshotWhenStreamsInitialisesTheSameInstanceAgain() {
    MockProcessorContext<Object, Object> context = context();
    Trainer trainer = afterTwoSteps(context);
    float[] firstRun = floats(snapshots(context).get(0).getTensors().get(0));
    trainer.close();

    // A revived task: nothing was committed, so the same window comes again from batch 0.
    MockProcessorContext<Object, Object> revived = context();
    trainer.init(revived);
    try {
      feed(trainer, batch(0, 0, 2, false));
      feed(trainer, batch(0, 1, 2, false));
      List<ModelSnapshot> published = snapshots(revived);
      assertEquals(1, published.size(), "the window is trained again, not skipped");
      assertEquals(2, published.get(0).getVersion());
      assertArrayEquals(firstRun, floats(published.get(0).getTensors().get(0)), 0f);
    } finally {
      trainer.close();
    }
  }

  @Test
  void shouldContinueVersionsAfterTheFloorWhenStartingOver() {
    MockProcessorContext<Object, Object> context = context();
    TrainerDependencies deps =
        new TrainerDependencies(
            Optional::empty,
            () -> TestSet.EMPTY,
            TrainingListener.NONE,
            new StopSignal(),
            () -> 40);
    Trainer trainer = trainer(deps);
    trainer.init(context);
    try {
      feed(trainer, batch(0, 0, 2, false));
      feed(trainer, batch(0, 1, 2, false));
      assertEquals(42, snapshots(context).get(0).getVersion());
    } finally {
      trainer.close();
    }
  }

  @Test
  void shouldSkipTheBatchesItsSnapshotReflectsAndReportDeadLettersOnce() {
    MockProcessorContext<Object, Object> first = context();
    DeadLetters deadLetters = new DeadLetters("dlq");
    deadLetters.restore(java.util.Map.of("label-out-of-range", 2L));
    Trainer trainer = new Trainer("m", training(), TrainerDependencies.fromScratch(), deadLetters);
    trainer.init(first);
    feed(trainer, batch(0, 0, 2, false));
    feed(trainer, batch(0, 1, 2, false));
    trainer.close();
    ModelSnapshot snapshot = snapshots(first).get(0);
    assertEquals(
        2.0, snapshot.getMetrics().get(Trainer.DEAD_LETTERS_PREFIX + "label-out-of-range"));
    assertEquals(1, metrics(first, MetricKind.DEAD_LETTER).size());

    MockProcessorContext<Object, Object> second = context();
    Trainer resumed =
        new Trainer(
            "m",
            training(),
            new TrainerDependencies(
                () -> Optional.of(snapshot),
                () -> TestSet.EMPTY,
                TrainingListener.NONE,
                new StopSignal()),
            deadLetters);
    resumed.init(second);
    try {
      feed(resumed, batch(0, 0, 2, false));
      feed(resumed, batch(0, 1, 2, false));
      assertTrue(snapshots(second).isEmpty(), "both batches were in the snapshot already");
      feed(resumed, batch(1, 0, 1, false));
      List<ModelSnapshot> published = snapshots(second);
      assertEquals(3, published.get(0).getVersion());
      assertTrue(
          metrics(second, MetricKind.DEAD_LETTER).isEmpty(),
          "an unchanged count is not reported again: "
              + Arrays.toString(metrics(second, MetricKind.DEAD_LETTER).toArray()));
    } finally {
      resumed.close();
    }
  }

  /** What a case checks on a trainer and the context it runs in. */
  private interface TrainerCase {
    void check(Trainer trainer, MockProcessorContext<Object, Object> context);
  }

  /** Runs {@code check} on a fresh {@link #afterTwoSteps} trainer, closing it after. */
  private static void afterTwoSteps(TrainerCase check) {
    MockProcessorContext<Object, Object> context = context();
    Trainer trainer = afterTwoSteps(context);
    try {
      check.check(trainer, context);
    } finally {
      trainer.close();
    }
  }

  /** A trainer from scratch on {@code context} that has stepped two batches of two (version 2). */
  private static Trainer afterTwoSteps(MockProcessorContext<Object, Object> context) {
    Trainer trainer = trainer(TrainerDependencies.fromScratch());
    trainer.init(context);
    feed(trainer, batch(0, 0, 2, false));
    feed(trainer, batch(0, 1, 2, false));
    return trainer;
  }
}
