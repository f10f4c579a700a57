package io.streamtrain.topology;

import io.streamtrain.config.Training;
import io.streamtrain.model.Devices;
import io.streamtrain.model.Evaluation;
import io.streamtrain.model.Learner;
import io.streamtrain.model.ModelSpec;
import io.streamtrain.model.OptimizerConfig;
import io.streamtrain.model.StateDicts;
import io.streamtrain.model.StepResult;
import io.streamtrain.schema.MetricKind;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.TrainingMetric;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer of one model: one SGD step per mini-batch, prequential metrics from each
 * batch's forward pass before its update, snapshots every K steps or T seconds and at every shuffle
 * window's end (which the {@link MiniBatcher}'s crash safety relies on), and a test evaluation at
 * every epoch's end.
 *
 * <p>Its position in the feed is (window index, batches applied); batches at or before the
 * position of the snapshot it resumed from are skipped, so none is applied twice.
 */
public final class Trainer implements Processor<Long, Batch, Object, Object> {
  static final String SNAPSHOTS = "snapshot-sink";
  static final String METRICS = "metric-sink";
  private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);
  private static final int PROGRESS_EVERY_BATCHES = 100;

  private final String modelName;
  private final Training training;
  private final TrainerDependencies deps;
  private final DeadLetters deadLetters;

  private ProcessorContext<Object, Object> context;
  private Learner learner;
  private ModelSnapshot lastSnapshot;
  private long windowIndex = -1;
  private int batchesApplied;
  private int epoch;
  private long examplesInEpoch;
  private int batchesInEpoch;
  private long lastSnapshotStep = -1;
  private long lastSnapshotNanos = System.nanoTime();
  private int consecutiveBadSteps;
  private boolean stopped;
  private long badSteps;
  private long rollbacks;
  // Prequential window since the last metric.
  private double lossSum;
  private long correct;
  private long seen;
  private int stepsSinceMetric;
  private long metricStartNanos = System.nanoTime();

  public Trainer(String modelName, Training training, TrainerDependencies deps, DeadLetters deadLetters) {
    this.modelName = modelName;
    this.training = training;
    this.deps = deps;
    this.deadLetters = deadLetters;
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
    this.learner = newLearner(training);
    Optional<ModelSnapshot> latest = deps.latestSnapshot().get();
    if (latest.isPresent()) {
      ModelSnapshot snapshot = latest.get();
      StateDicts.restore(learner, snapshot);
      lastSnapshot = snapshot;
      windowIndex = snapshot.getWindowIndex();
      batchesApplied = snapshot.getBatchesApplied();
      epoch = snapshot.getEpoch();
      lastSnapshotStep = snapshot.getVersion();
      examplesInEpoch = snapshot.getMetrics().getOrDefault("examplesInEpoch", 0.0).longValue();
      batchesInEpoch = snapshot.getMetrics().getOrDefault("batchesInEpoch", 0.0).intValue();
      if (snapshot.getEpochComplete()) {
        examplesInEpoch = 0;
        batchesInEpoch = 0;
      }
      LOG.info(
          "Resuming model {} from snapshot version {} (epoch {}, window {}, {} batches applied)",
          modelName, snapshot.getVersion(), epoch, windowIndex, batchesApplied);
    }
    deps.listener().onStart(lastSnapshot);
    context.schedule(
        java.time.Duration.ofMillis(50),
        org.apache.kafka.streams.processor.PunctuationType.WALL_CLOCK_TIME,
        now -> finalSnapshotIfStopping());
  }

  /** On a clean stop: one last snapshot of the current position, committed right away. */
  private void finalSnapshotIfStopping() {
    if (!deps.stop().isRequested() || stopped) {
      return;
    }
    stopped = true;
    if (lastSnapshot == null || lastSnapshot.getVersion() != learner.steps()
        || lastSnapshot.getWindowIndex() != windowIndex
        || lastSnapshot.getBatchesApplied() != batchesApplied) {
      snapshot(null, false);
    }
    context.commit();
    deps.stop().markSnapshotted();
  }

  @Override
  public void process(Record<Long, Batch> record) {
    Batch batch = record.value();
    if (stopped || !applies(batch)) {
      return;
    }
    if (batch.epoch() != epoch) {
      epoch = batch.epoch();
      examplesInEpoch = 0;
      batchesInEpoch = 0;
    }
    if (batch.size() > 0) {
      train(batch);
    }
    windowIndex = batch.windowIndex();
    batchesApplied = batch.batchIndex() + 1;
    boolean epochEnd = batch.epochEnd() && batch.lastOfWindow();
    if (batch.lastOfWindow() || snapshotDue()) {
      snapshot(batch, epochEnd);
    }
    if (epochEnd) {
      endEpoch();
    }
  }

  private boolean applies(Batch batch) {
    return batch.windowIndex() > windowIndex
        || (batch.windowIndex() == windowIndex && batch.batchIndex() >= batchesApplied);
  }

  private void train(Batch batch) {
    StepResult result = learner.step(batch.pixels(), batch.labels(), batch.size());
    if (!result.finite()) {
      badSteps++;
      consecutiveBadSteps++;
      if (consecutiveBadSteps >= training.maxBadSteps()) {
        rollBack(consecutiveBadSteps + " consecutive steps with non-finite loss or gradients");
      }
      return;
    }
    consecutiveBadSteps = 0;
    if (batchesInEpoch % PROGRESS_EVERY_BATCHES == 0) {
      long current = examplesInEpoch + batch.size();
      emitMetric(MetricKind.BATCH, (double) result.loss(), null, null, current, null);
      deps.listener().onBatchProgress(epoch, current, result.loss());
    }
    examplesInEpoch += batch.size();
    batchesInEpoch++;
    lossSum += result.loss();
    correct += result.correct();
    seen += batch.size();
    if (++stepsSinceMetric >= training.metricsEverySteps()) {
      double seconds = (System.nanoTime() - metricStartNanos) / 1e9;
      emitMetric(
          MetricKind.PREQUENTIAL,
          lossSum / stepsSinceMetric,
          (double) correct / seen,
          seen / Math.max(seconds, 1e-9),
          seen,
          null);
      lossSum = 0;
      correct = 0;
      seen = 0;
      stepsSinceMetric = 0;
      metricStartNanos = System.nanoTime();
    }
  }

  private boolean snapshotDue() {
    long steps = learner.steps() - Math.max(lastSnapshotStep, 0);
    if (training.snapshotEverySteps() > 0 && steps >= training.snapshotEverySteps()) {
      return true;
    }
    return training.snapshotEverySeconds() > 0
        && System.nanoTime() - lastSnapshotNanos >= training.snapshotEverySeconds() * 1_000_000_000L;
  }

  private Map<String, Long> lastSnapshotOffsets() {
    return lastSnapshot == null ? Map.of() : lastSnapshot.getInputOffsets();
  }

  private void snapshot(Batch batch, boolean epochComplete) {
    long start = System.nanoTime();
    if (!learner.parametersFinite()) {
      rollBack("parameters are not finite at snapshot time");
      return;
    }
    Map<String, Double> metrics = new HashMap<>();
    metrics.put("examplesInEpoch", (double) examplesInEpoch);
    metrics.put("batchesInEpoch", (double) batchesInEpoch);
    metrics.put("badSteps", (double) badSteps);
    metrics.put("rollbacks", (double) rollbacks);
    deadLetters.counts().forEach((kind, n) -> metrics.put("deadLetters." + kind, (double) n));
    ModelSnapshot snapshot =
        StateDicts.snapshot(learner, modelName)
            .version(learner.steps())
            .epoch(epoch)
            .createdAt(Instant.ofEpochMilli(context.currentSystemTimeMs()))
            .inputOffsets(batch == null ? lastSnapshotOffsets() : inputOffsets(batch))
            .metrics(metrics)
            .build();
    snapshot.setWindowIndex(windowIndex);
    snapshot.setBatchesApplied(batchesApplied);
    snapshot.setEpochComplete(epochComplete);
    snapshot.setSeed(training.seed());
    long encodeNanos = System.nanoTime() - start;
    context.forward(new Record<>(modelName, snapshot, context.currentSystemTimeMs()), SNAPSHOTS);
    lastSnapshot = snapshot;
    lastSnapshotStep = learner.steps();
    lastSnapshotNanos = System.nanoTime();
    deps.listener().onSnapshot(snapshot, encodeNanos);
  }

  /** The feed offset before which every example is reflected in the parameters. */
  private Map<String, Long> inputOffsets(Batch batch) {
    if (batch.feedPartition().isEmpty()) {
      return Map.of();
    }
    long offset = batch.lastOfWindow() ? batch.windowEndOffset() : batch.windowFirstOffset();
    return Map.of(batch.feedPartition(), offset);
  }

  /** A fresh model initialised from the run's seed, on the configured device. */
  static Learner newLearner(Training training) {
    return Learner.create(
        ModelSpec.parse(training.architecture()),
        OptimizerConfig.of(
            training.optimizer(),
            training.learningRate(),
            training.momentum(),
            training.weightDecay()),
        training.seed(),
        Devices.select(training.device()));
  }

  private void endEpoch() {
    TestSet test = deps.testSet().get();
    Evaluation evaluation = null;
    if (!test.isEmpty()) {
      evaluation = learner.evaluate(test.pixels(), test.labels(), test.count(), 64);
      emitMetric(
          MetricKind.TEST_EPOCH,
          evaluation.averageLoss(),
          evaluation.accuracy(),
          null,
          (long) test.count(),
          null);
    }
    deps.listener().onEpochEnd(epoch, evaluation, lastSnapshot);
    examplesInEpoch = 0;
    batchesInEpoch = 0;
  }

  private void rollBack(String reason) {
    rollbacks++;
    consecutiveBadSteps = 0;
    String detail;
    if (lastSnapshot != null) {
      StateDicts.restore(learner, lastSnapshot);
      detail = "rolled back to snapshot version " + lastSnapshot.getVersion() + ": " + reason;
    } else {
      learner.close();
      learner = newLearner(training);
      detail = "re-initialised (no snapshot yet): " + reason;
    }
    LOG.warn("Model {} {}", modelName, detail);
    emitMetric(MetricKind.ROLLBACK, null, null, null, badSteps, detail);
  }

  private void emitMetric(
      MetricKind kind, Double loss, Double accuracy, Double imagesPerSecond, Long count, String detail) {
    TrainingMetric metric =
        TrainingMetric.newBuilder()
            .setModelName(modelName)
            .setVersion(learner.steps())
            .setEpoch(epoch)
            .setStep(learner.steps())
            .setKind(kind)
            .setLoss(loss)
            .setAccuracy(accuracy)
            .setImagesPerSecond(imagesPerSecond)
            .setCount(count)
            .setTime(Instant.ofEpochMilli(context.currentSystemTimeMs()))
            .setDetail(detail)
            .build();
    context.forward(new Record<>(modelName, metric, context.currentSystemTimeMs()), METRICS);
  }

  /** Steps skipped because of non-finite loss or gradients. */
  long badSteps() {
    return badSteps;
  }

  @Override
  public void close() {
    if (learner != null) {
      learner.close();
    }
  }
}
