package io.streamtrain.training;

import io.streamtrain.config.Training;
import io.streamtrain.model.Evaluation;
import io.streamtrain.model.Learner;
import io.streamtrain.model.LiveTensor;
import io.streamtrain.model.StateDicts;
import io.streamtrain.model.StepResult;
import io.streamtrain.records.DeadLetters;
import io.streamtrain.schema.MetricKind;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.snapshots.SnapshotChunks;
import io.streamtrain.snapshots.SnapshotMetrics;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer of one model: applies the feed's batches past its {@link ResumePosition}, one
 * optimizer step each, and publishes what the {@link SnapshotPolicy}, the {@link RollbackGuard},
 * the {@link PrequentialMetrics} and the {@link EpochEvaluation} call for through the {@link
 * TrainerOutput}. Used by one thread at a time: the stepping worker's, or the stream thread's.
 *
 * <p>On a rollback the parameters and optimizer state go back to the last snapshot's (or a fresh
 * initialisation when there is none) keeping the version counter, a ROLLBACK metric says so, and a
 * snapshot of the rolled-back model at the current position follows right away, so that a restart
 * resumes from exactly what this run continues with. Versions only go up: each snapshot's is the
 * step count, moved past the newest version taken when no step came since (the optimizer steps
 * applied are counted apart, {@link SnapshotMetrics#STEPS_APPLIED}).
 */
final class ModelStepper implements AutoCloseable {
  // Logged under the trainer's name: what operators filter on.
  private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);
  private static final int PROGRESS_EVERY_BATCHES = 100;

  private final String modelName;
  private final TrainingSetup setup;
  private final Training training;
  private final TrainerDependencies deps;
  private final DeadLetters deadLetters;
  private final TrainerQueue queue;
  private final TrainerOutput output;
  private final LearnerRestore restore;
  private ResumePosition position;
  private final RollbackGuard guard;
  private final DeadLetterReport deadLetterReport = new DeadLetterReport();
  private final SnapshotPolicy snapshotPolicy;
  private final PrequentialMetrics prequential;
  private final EpochEvaluation evaluation;
  private Learner learner;
  private ModelSnapshot lastSnapshot;
  // The newest version this model took (resumed, published, or found on the topic), -1 for none.
  private long newestVersion;
  private boolean stopped;

  /** Starts from the dependencies' latest snapshot, or from scratch past their version floor. */
  ModelStepper(
      String modelName,
      TrainingSetup setup,
      TrainerDependencies deps,
      DeadLetters deadLetters,
      TrainerQueue queue,
      TrainerOutput output) {
    this.modelName = modelName;
    this.setup = setup;
    this.training = setup.settings();
    this.deps = deps;
    this.deadLetters = deadLetters;
    this.queue = queue;
    this.output = output;
    this.snapshotPolicy = new SnapshotPolicy(training, output::now);
    this.prequential = new PrequentialMetrics(training.metricsEverySteps(), System::nanoTime);
    this.evaluation = new EpochEvaluation(deps.testSet());
    this.guard = new RollbackGuard(training.maxBadSteps());
    this.restore = new LearnerRestore(modelName, setup);
    this.learner = setup.newLearner();
    try {
      Optional<ModelSnapshot> latest = deps.latestSnapshot().get();
      long floor = deps.versionFloor().getAsLong();
      lastSnapshot = latest.orElse(null);
      newestVersion = Math.max(floor, latest.map(ModelSnapshot::getVersion).orElse(-1L));
      position = latest.map(ResumePosition::of).orElseGet(ResumePosition::start);
      if (lastSnapshot != null) {
        restore.resume(learner, lastSnapshot, floor, position.epoch());
        guard.restore(lastSnapshot.getMetrics());
        deadLetterReport.restore(lastSnapshot.getMetrics());
        deps.classNames().restore(lastSnapshot.getClassNames());
      } else {
        restore.fromScratch(learner, floor);
      }
    } catch (RuntimeException | Error e) {
      learner.close();
      throw e;
    }
    snapshotPolicy.startAt(learner.steps());
    long bytes =
        lastSnapshot != null
            ? SnapshotChunks.payloadBytes(lastSnapshot)
            : SnapshotSize.expectedBytes(training, learner.spec().parameterCount());
    snapshotPolicy.expect(bytes);
    LOG.info(announcement(modelName, training, bytes));
    // The batcher must not move live windows ahead of what this model already reflects.
    queue.resumedAt(position.windowIndex(), position.batchesApplied());
  }

  /** The one start-up line that says how snapshots of this size go out, and how often. */
  static String announcement(String modelName, Training training, long bytes) {
    int chunkBytes = SnapshotChunks.DEFAULT_CHUNK_BYTES;
    String records =
        bytes > SnapshotChunks.ONE_RECORD_MAX_BYTES
            ? SnapshotChunks.chunkCount(bytes, chunkBytes)
                + " chunk records of up to "
                + chunkBytes / (1024 * 1024)
                + " MiB and a manifest, in one transaction"
            : "one record";
    long sizeMs = SnapshotPolicy.sizeIntervalMs(bytes);
    long liveMs = training.live().minSnapshotIntervalMs();
    return String.format(
        java.util.Locale.ROOT,
        "Snapshots of model %s: about %.1f MB each (%s); live and timed snapshots at least %d ms"
            + " apart (%s), besides one at every shuffle window's end",
        modelName,
        bytes / 1e6,
        records,
        liveMs == 0 ? 0 : Math.max(liveMs, sizeMs),
        sizeMs > liveMs && liveMs > 0
            ? "the size at a budget of "
                + SnapshotPolicy.BYTES_PER_SECOND / (1024 * 1024)
                + " MiB/s"
            : "--live-snapshot-ms");
  }

  /** The snapshot the model resumed from or last published, or null. */
  ModelSnapshot lastSnapshot() {
    return lastSnapshot;
  }

  /** Steps skipped because of non-finite loss or gradients. */
  long badSteps() {
    return guard.badSteps();
  }

  void step(Batch batch) {
    if (stopped) {
      return;
    }
    if (!position.applies(batch)) {
      if (batch.lastOfWindow()) {
        // Already reflected by the snapshot this trainer resumed from.
        output.onStreamThread(() -> queue.windowDone(batch.windowIndex()));
      }
      return;
    }
    if (batch.isLive()) {
      stepLive(batch);
      return;
    }
    if (position.enterEpoch(batch.epoch())) {
      learner.startEpoch(position.epoch());
    }
    if (batch.size() > 0) {
      train(batch);
    }
    position.advancePast(batch);
    boolean epochEnd = batch.epochEnd() && batch.lastOfWindow();
    if (snapshotPolicy.dueAfter(batch, learner.steps())) {
      snapshot(batch, epochEnd);
    }
    if (epochEnd) {
      endEpoch();
    }
    if (batch.lastOfWindow()) {
      output.onStreamThread(() -> queue.windowDone(batch.windowIndex()));
    }
  }

  /**
   * A live batch: one step like any other, outside the epoch's counters. After its window, the
   * snapshot waits for the live minimum interval (see {@link #liveSnapshotIfDue}), and the window
   * is released once that snapshot is out.
   */
  private void stepLive(Batch batch) {
    if (batch.size() > 0) {
      StepResult result = learner.step(batch.pixels(), batch.labels(), batch.size());
      if (result.finite()) {
        guard.goodStep();
        position.liveStepApplied(batch.size());
        notePrequential(result, batch.size());
      } else if (guard.badStep()) {
        rollBack(
            guard.consecutiveBadSteps() + " consecutive steps with non-finite loss or gradients");
      }
    }
    position.advancePast(batch);
    if (snapshotPolicy.dueAfter(batch, learner.steps())) {
      long pending = snapshotPolicy.pendingLiveWindow();
      snapshot(null, position.epochComplete());
      if (pending >= 0) {
        output.onStreamThread(() -> queue.windowDone(pending));
      }
    }
  }

  /** Publishes the snapshot a trained live window waits for, once the minimum interval allows. */
  void liveSnapshotIfDue() {
    long due = snapshotPolicy.liveWindowDue();
    if (due < 0 || stopped) {
      return;
    }
    snapshot(null, position.epochComplete());
    output.onStreamThread(() -> queue.windowDone(due));
  }

  private void train(Batch batch) {
    StepResult result = learner.step(batch.pixels(), batch.labels(), batch.size());
    if (!result.finite()) {
      if (guard.badStep()) {
        rollBack(
            guard.consecutiveBadSteps() + " consecutive steps with non-finite loss or gradients");
      }
      return;
    }
    guard.goodStep();
    boolean progress = position.batchesInEpoch() % PROGRESS_EVERY_BATCHES == 0;
    long examplesInEpoch = position.examplesInEpoch() + batch.size();
    position.stepApplied(batch.size());
    if (progress) {
      emitMetric(MetricKind.BATCH, (double) result.loss(), null, null, examplesInEpoch, null);
      output.batchProgress(position.epoch(), examplesInEpoch, result.loss());
    }
    notePrequential(result, batch.size());
  }

  private void notePrequential(StepResult result, int size) {
    prequential
        .add(result.loss(), result.correct(), size)
        .ifPresent(
            w ->
                emitMetric(
                    MetricKind.PREQUENTIAL,
                    w.meanLoss(),
                    w.accuracy(),
                    w.imagesPerSecond(),
                    w.examples(),
                    null));
  }

  /** On a clean stop: one last snapshot of the current position, committed right away. */
  void finalSnapshotIfStopping() {
    if (!deps.stop().isRequested() || stopped) {
      return;
    }
    stopped = true;
    if (lastSnapshot == null
        || lastSnapshot.getVersion() != learner.steps()
        || !position.isAt(lastSnapshot)) {
      snapshot(null, position.epochComplete());
    }
    output.onStreamThread(
        () -> {
          output.commit();
          deps.stop().markSnapshotted();
        });
  }

  private void snapshot(Batch batch, boolean epochComplete) {
    long startNanos = System.nanoTime();
    if (!learner.parametersFinite()) {
      rollBack("parameters are not finite at snapshot time");
    }
    Map<String, Double> metrics = new HashMap<>();
    metrics.put(ResumePosition.EXAMPLES_IN_EPOCH, (double) position.examplesInEpoch());
    metrics.put(ResumePosition.BATCHES_IN_EPOCH, (double) position.batchesInEpoch());
    metrics.put(RollbackGuard.BAD_STEPS, (double) guard.badSteps());
    metrics.put(RollbackGuard.ROLLBACKS, (double) guard.rollbacks());
    metrics.put(ResumePosition.EXAMPLES_TRAINED, (double) position.examplesTrained());
    position.addLiveTo(metrics);
    Map<String, Long> deadLetterCounts = deadLetters.counts();
    DeadLetterReport.addTo(metrics, deadLetterCounts);
    metrics.put(SnapshotMetrics.STEPS_APPLIED, (double) position.stepsApplied());
    learner.continueAfter(newestVersion);
    StateDicts.SnapshotBuilder builder =
        StateDicts.snapshot(learner, modelName)
            .version(learner.steps())
            .epoch(position.epoch())
            .createdAt(Instant.ofEpochMilli(output.now()))
            .inputOffsets(inputOffsets(batch))
            .metrics(metrics)
            .transforms(setup.transforms().spec())
            .classNames(deps.classNames().list());
    List<LiveTensor> live = learner.liveStateDict();
    List<LiveTensor> liveOptimizer = live == null ? null : learner.liveOptimizerState();
    boolean streamed =
        live != null
            && SnapshotChunks.payloadBytes(
                    TrainerOutput.streamed(live), TrainerOutput.streamed(liveOptimizer))
                > SnapshotChunks.ONE_RECORD_MAX_BYTES;
    // Too large for one record: streamed from the arrays, never copied whole (training waits).
    ModelSnapshot snapshot = streamed ? builder.buildHeader() : builder.build();
    snapshot.setWindowIndex(position.windowIndex());
    snapshot.setBatchesApplied(position.batchesApplied());
    snapshot.setEpochComplete(epochComplete);
    snapshot.setSeed(training.seed());
    long payloadBytes;
    if (streamed) {
      snapshot =
          output.snapshotStreamed(snapshot, live, liveOptimizer, System.nanoTime() - startNanos);
      if (snapshot == null) {
        return; // interrupted: the training thread stops
      }
      payloadBytes = snapshot.getManifest().getPayloadBytes();
    } else {
      output.snapshot(snapshot, System.nanoTime() - startNanos);
      payloadBytes = SnapshotChunks.payloadBytes(snapshot);
    }
    lastSnapshot = snapshot;
    newestVersion = snapshot.getVersion();
    snapshotPolicy.published(learner.steps(), payloadBytes);
    deadLetterReport.reportChanged(
        deadLetterCounts,
        (kind, n) -> emitMetric(MetricKind.DEAD_LETTER, null, null, null, n, kind));
  }

  /** The feed's and its live lane's positions: a batch moves the one it came from. */
  private Map<String, Long> inputOffsets(Batch batch) {
    Map<String, Long> offsets = new TreeMap<>();
    if (lastSnapshot != null) {
      offsets.putAll(lastSnapshot.getInputOffsets());
    }
    if (batch != null) {
      offsets.putAll(batch.reflectedOffsets());
    }
    return offsets;
  }

  private void endEpoch() {
    Optional<EpochEvaluation.Result> result = evaluation.evaluate(learner);
    result.ifPresent(
        r ->
            emitMetric(
                MetricKind.TEST_EPOCH,
                r.evaluation().averageLoss(),
                r.evaluation().accuracy(),
                null,
                (long) r.examples(),
                null));
    Evaluation evaluated = result.map(EpochEvaluation.Result::evaluation).orElse(null);
    output.epochEnd(position.epoch(), evaluated, lastSnapshot);
    position.endEpoch();
  }

  private void rollBack(String reason) {
    guard.rolledBack();
    String detail;
    // A streamed snapshot's tensors are on the topic only: read back the newest committed one.
    ModelSnapshot good =
        lastSnapshot != null && lastSnapshot.getManifest() != null
            ? deps.latestSnapshot().get().orElse(null)
            : lastSnapshot;
    if (good != null) {
      restore.keepingVersion(learner, good);
      detail =
          "rolled back to the parameters of snapshot version " + good.getVersion() + ": " + reason;
    } else {
      learner = restore.reinitialise(learner, position.epoch());
      detail = "re-initialised (no snapshot yet): " + reason;
    }
    LOG.warn("Model {} {}", modelName, detail);
    emitMetric(MetricKind.ROLLBACK, null, null, null, guard.badSteps(), detail);
    snapshotPolicy.requestNext();
  }

  private void emitMetric(
      MetricKind kind,
      Double loss,
      Double accuracy,
      Double imagesPerSecond,
      Long count,
      String detail) {
    output.metric(
        kind, learner.steps(), position.epoch(), loss, accuracy, imagesPerSecond, count, detail);
  }

  @Override
  public void close() {
    learner.close();
  }
}
