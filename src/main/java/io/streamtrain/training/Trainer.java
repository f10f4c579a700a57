package io.streamtrain.training;

import io.streamtrain.config.Training;
import io.streamtrain.model.Devices;
import io.streamtrain.model.Evaluation;
import io.streamtrain.model.Learner;
import io.streamtrain.model.ModelSpec;
import io.streamtrain.model.OptimizerConfig;
import io.streamtrain.model.StateDicts;
import io.streamtrain.model.StepResult;
import io.streamtrain.records.DeadLetters;
import io.streamtrain.records.SnapshotMetrics;
import io.streamtrain.schema.MetricKind;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.TrainingMetric;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.errors.StreamsException;
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
 * <p>Its position in the feed is (window index, batches applied); batches at or before the position
 * of the snapshot it resumed from are skipped, so none is applied twice.
 *
 * <p>Numerical guard: a step whose loss or gradients are NaN/Inf is not applied (the Learner skips
 * it) and counted; after {@code --max-bad-steps} consecutive ones, or when the parameters are not
 * finite at snapshot time, the parameters roll back to the last snapshot's, a ROLLBACK metric says
 * so, and a snapshot of the rolled-back model at the current position is published right away, so
 * that a restart resumes from exactly what this run continues with. Versions never go down: a
 * rollback keeps the version counter, and a model started over begins at the dependencies' version
 * floor.
 *
 * <p>Training runs on a thread of its own when {@code background} is set (the pipeline's case): the
 * stream thread keeps polling, decoding and buffering the feed while the model steps, so Kafka I/O
 * overlaps the arithmetic. Everything that touches Kafka Streams (forwarding snapshots and metrics,
 * committing) and every listener call is handed back to the stream thread, in order, through an
 * outbox that a 1 ms punctuation empties. Without {@code background} (topology tests) the same code
 * runs inline on the stream thread.
 *
 * <p>Kafka Streams may call {@link #init} again on this instance after {@link #close} (a corrupted
 * task is revived), so init starts from nothing but the snapshot it resumes from.
 */
public final class Trainer implements Processor<Long, Batch, Object, Object> {
  static final String SNAPSHOTS = "snapshot-sink";
  static final String METRICS = "metric-sink";
  private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);
  private static final int PROGRESS_EVERY_BATCHES = 100;
  // Names in ModelSnapshot.metrics; the trainer restores its counters from them.
  static final String EXAMPLES_IN_EPOCH = "examplesInEpoch";
  static final String BATCHES_IN_EPOCH = "batchesInEpoch";
  static final String BAD_STEPS = "badSteps";
  static final String ROLLBACKS = "rollbacks";

  /** Examples in applied steps since the model's first step: every valid record, once per epoch. */
  public static final String EXAMPLES_TRAINED = "examplesTrained";

  /** See {@link SnapshotMetrics}. */
  public static final String LIVE_EXAMPLES_TRAINED = SnapshotMetrics.LIVE_EXAMPLES_TRAINED;

  public static final String LIVE_FEED_END = SnapshotMetrics.LIVE_FEED_END;
  public static final String LIVE_OLDEST_NEW_EVENT = SnapshotMetrics.LIVE_OLDEST_NEW_EVENT;
  public static final String LIVE_NEWEST_NEW_EVENT = SnapshotMetrics.LIVE_NEWEST_NEW_EVENT;

  /** Prefix of the per-kind dead-letter counts, e.g. {@code deadLetters.label-out-of-range}. */
  public static final String DEAD_LETTERS_PREFIX = "deadLetters.";

  private final String modelName;
  private final Training training;
  private final TrainerDependencies deps;
  private final DeadLetters deadLetters;
  private final TrainerQueue queue;
  private final boolean background;

  private ProcessorContext<Object, Object> context;
  // Background mode: batches to step through, and stream-thread work the training thread asks for.
  private final BlockingQueue<Batch> inbox = new LinkedBlockingQueue<>();
  private final Queue<Runnable> outbox = new ConcurrentLinkedQueue<>();
  private Thread worker;
  private volatile boolean stopWorker;
  private volatile Throwable workerFailure;
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
  private boolean snapshotAfterRollback;
  private long badSteps;
  private long rollbacks;
  private long examplesTrained;
  private long liveExamplesTrained;
  private long liveFeedEnd = -1;
  // Live events trained since the last snapshot, and the live window awaiting its snapshot.
  private long liveOldestNew = Long.MAX_VALUE;
  private long liveNewestNew = Long.MIN_VALUE;
  private long pendingLiveWindow = -1;
  // Whether the parameters are those of an epoch's end plus live steps only: live snapshots say so.
  private boolean epochComplete;
  private final Map<String, Long> reportedDeadLetters = new HashMap<>();
  // Prequential window since the last metric.
  private double lossSum;
  private long correct;
  private long seen;
  private int stepsSinceMetric;
  private long metricStartNanos = System.nanoTime();

  /** A trainer that steps inline on the stream thread, for tests of one task. */
  public Trainer(
      String modelName, Training training, TrainerDependencies deps, DeadLetters deadLetters) {
    this(
        modelName,
        training,
        deps,
        deadLetters,
        new TrainerQueue(TrainerQueue.DEFAULT_CAPACITY),
        false);
  }

  Trainer(
      String modelName,
      Training training,
      TrainerDependencies deps,
      DeadLetters deadLetters,
      TrainerQueue queue,
      boolean background) {
    this.modelName = modelName;
    this.training = training;
    this.deps = deps;
    this.deadLetters = deadLetters;
    this.queue = queue;
    this.background = background;
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
    stopWorker();
    queue.reset();
    resetPosition();
    if (learner != null) {
      learner.close();
    }
    this.learner = newLearner(training);
    Optional<ModelSnapshot> latest = deps.latestSnapshot().get();
    long floor = deps.versionFloor().getAsLong();
    if (latest.isPresent()) {
      ModelSnapshot snapshot = latest.get();
      StateDicts.restore(learner, withVersion(snapshot, Math.max(floor, snapshot.getVersion())));
      lastSnapshot = snapshot;
      windowIndex = snapshot.getWindowIndex();
      batchesApplied = snapshot.getBatchesApplied();
      epoch = snapshot.getEpoch();
      learner.setLearningRate(training.learningRateAt(epoch));
      Map<String, Double> m = snapshot.getMetrics();
      examplesInEpoch = m.getOrDefault(EXAMPLES_IN_EPOCH, 0.0).longValue();
      batchesInEpoch = m.getOrDefault(BATCHES_IN_EPOCH, 0.0).intValue();
      badSteps = m.getOrDefault(BAD_STEPS, 0.0).longValue();
      rollbacks = m.getOrDefault(ROLLBACKS, 0.0).longValue();
      examplesTrained = m.getOrDefault(EXAMPLES_TRAINED, 0.0).longValue();
      liveExamplesTrained = m.getOrDefault(LIVE_EXAMPLES_TRAINED, 0.0).longValue();
      liveFeedEnd = m.getOrDefault(LIVE_FEED_END, -1.0).longValue();
      m.forEach(
          (name, value) -> {
            if (name.startsWith(DEAD_LETTERS_PREFIX)) {
              reportedDeadLetters.put(
                  name.substring(DEAD_LETTERS_PREFIX.length()), value.longValue());
            }
          });
      epochComplete = snapshot.getEpochComplete();
      if (snapshot.getEpochComplete()) {
        examplesInEpoch = 0;
        batchesInEpoch = 0;
      }
      LOG.info(
          "Resuming model {} from snapshot version {} (epoch {}, window {}, {} batches applied{})",
          modelName,
          snapshot.getVersion(),
          epoch,
          windowIndex,
          batchesApplied,
          learner.steps() != snapshot.getVersion()
              ? "; versions continue after " + learner.steps() + ", the newest on the topic"
              : "");
    } else if (floor > 0) {
      renumber(learner, floor);
      LOG.info(
          "Starting model {} from scratch; versions continue after {}, the newest on the topic",
          modelName,
          floor);
    }
    lastSnapshotStep = learner.steps();
    deps.listener().onStart(lastSnapshot);
    if (background) {
      stopWorker = false;
      workerFailure = null;
      worker =
          TrainingThreads.start(
              this::stepThroughInbox, "streamtrain-steps-" + modelName, training.trainingFirst());
    }
    context.schedule(
        java.time.Duration.ofMillis(background ? 1 : 50),
        org.apache.kafka.streams.processor.PunctuationType.WALL_CLOCK_TIME,
        now -> onPunctuation());
  }

  private void onPunctuation() {
    if (!background) {
      liveSnapshotIfDue();
      finalSnapshotIfStopping();
      return;
    }
    runOutbox();
    Throwable failure = workerFailure;
    if (failure != null) {
      throw new StreamsException("The training thread of model " + modelName + " failed", failure);
    }
    if (deps.stop().isRequested()) {
      stopWorker = true; // the worker publishes the final snapshot through the outbox
    }
  }

  /** Runs on the stream thread: what the training thread handed back, in order. */
  private void runOutbox() {
    Runnable action;
    while ((action = outbox.poll()) != null) {
      action.run();
    }
  }

  /** On the stream thread in background mode, right away otherwise. */
  private void onStreamThread(Runnable action) {
    if (background) {
      outbox.add(action);
    } else {
      action.run();
    }
  }

  /** The training thread: steps through forwarded batches until stopped. */
  private void stepThroughInbox() {
    try {
      while (!stopWorker) {
        Batch batch = inbox.poll(10, TimeUnit.MILLISECONDS);
        if (batch != null) {
          try {
            step(batch);
          } finally {
            queue.stepped(batch);
          }
        }
        liveSnapshotIfDue();
      }
      if (deps.stop().isRequested()) {
        finalSnapshotIfStopping();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable e) {
      LOG.error("Training thread of model {} failed", modelName, e);
      workerFailure = e;
    }
  }

  private void stopWorker() {
    Thread running = worker;
    if (running == null) {
      return;
    }
    stopWorker = true;
    running.interrupt();
    try {
      running.join(60_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    worker = null;
    inbox.clear();
    outbox.clear();
  }

  private void resetPosition() {
    lastSnapshot = null;
    windowIndex = -1;
    batchesApplied = 0;
    epoch = 0;
    examplesInEpoch = 0;
    batchesInEpoch = 0;
    lastSnapshotStep = -1;
    lastSnapshotNanos = System.nanoTime();
    consecutiveBadSteps = 0;
    stopped = false;
    snapshotAfterRollback = false;
    badSteps = 0;
    rollbacks = 0;
    examplesTrained = 0;
    liveExamplesTrained = 0;
    liveFeedEnd = -1;
    liveOldestNew = Long.MAX_VALUE;
    liveNewestNew = Long.MIN_VALUE;
    pendingLiveWindow = -1;
    epochComplete = false;
    reportedDeadLetters.clear();
    lossSum = 0;
    correct = 0;
    seen = 0;
    stepsSinceMetric = 0;
    metricStartNanos = System.nanoTime();
  }

  /** {@code snapshot} with another version number; tensors and checksum unchanged. */
  private static ModelSnapshot withVersion(ModelSnapshot snapshot, long version) {
    return snapshot.getVersion() == version
        ? snapshot
        : ModelSnapshot.newBuilder(snapshot).setVersion(version).build();
  }

  /** Sets a fresh learner's version counter without touching its parameters. */
  private void renumber(Learner fresh, long version) {
    StateDicts.restore(fresh, StateDicts.snapshot(fresh, modelName).version(version).build());
  }

  /** On a clean stop: one last snapshot of the current position, committed right away. */
  private void finalSnapshotIfStopping() {
    if (!deps.stop().isRequested() || stopped) {
      return;
    }
    stopped = true;
    if (lastSnapshot == null
        || lastSnapshot.getVersion() != learner.steps()
        || lastSnapshot.getWindowIndex() != windowIndex
        || lastSnapshot.getBatchesApplied() != batchesApplied) {
      snapshot(null, epochComplete);
    }
    onStreamThread(
        () -> {
          context.commit();
          deps.stop().markSnapshotted();
        });
  }

  @Override
  public void process(Record<Long, Batch> record) {
    queue.added();
    if (background) {
      inbox.add(record.value());
      return;
    }
    try {
      step(record.value());
    } finally {
      queue.stepped(record.value());
    }
  }

  private void step(Batch batch) {
    if (stopped) {
      return;
    }
    if (!applies(batch)) {
      if (batch.lastOfWindow()) {
        // Already reflected by the snapshot this trainer resumed from.
        onStreamThread(() -> queue.windowDone(batch.windowIndex()));
      }
      return;
    }
    if (batch.isLive()) {
      stepLive(batch);
      return;
    }
    if (batch.epoch() != epoch) {
      epoch = batch.epoch();
      learner.setLearningRate(training.learningRateAt(epoch));
      examplesInEpoch = 0;
      batchesInEpoch = 0;
    }
    if (batch.size() > 0) {
      train(batch);
    }
    epochComplete = batch.epochEnd() && batch.lastOfWindow();
    windowIndex = batch.windowIndex();
    batchesApplied = batch.batchIndex() + 1;
    boolean epochEnd = batch.epochEnd() && batch.lastOfWindow();
    if (batch.lastOfWindow() || snapshotDue() || snapshotAfterRollback) {
      snapshot(batch, epochEnd);
    }
    if (epochEnd) {
      endEpoch();
    }
    if (batch.lastOfWindow()) {
      onStreamThread(() -> queue.windowDone(batch.windowIndex()));
    }
  }

  /**
   * A live batch: trained like any other, outside the epoch's counters; after its window, a
   * snapshot as soon as the minimum interval since the last one allows (see liveSnapshotIfDue).
   */
  private void stepLive(Batch batch) {
    if (batch.size() > 0) {
      StepResult result = learner.step(batch.pixels(), batch.labels(), batch.size());
      if (result.finite()) {
        consecutiveBadSteps = 0;
        examplesTrained += batch.size();
        liveExamplesTrained += batch.size();
        notePrequential(result, batch.size());
      } else {
        badSteps++;
        consecutiveBadSteps++;
        if (consecutiveBadSteps >= training.maxBadSteps()) {
          rollBack(consecutiveBadSteps + " consecutive steps with non-finite loss or gradients");
        }
      }
    }
    windowIndex = batch.windowIndex();
    batchesApplied = batch.batchIndex() + 1;
    if (batch.lastOfWindow()) {
      liveFeedEnd = batch.windowEndOffset();
      liveOldestNew = Math.min(liveOldestNew, batch.live().oldestEventTime());
      liveNewestNew = Math.max(liveNewestNew, batch.live().newestEventTime());
      pendingLiveWindow = batch.windowIndex();
      liveSnapshotIfDue();
    } else if (snapshotDue() || snapshotAfterRollback) {
      snapshot(null, epochComplete);
    }
  }

  /** Publishes the snapshot a trained live window waits for, once the minimum interval allows. */
  private void liveSnapshotIfDue() {
    if (pendingLiveWindow < 0 || stopped) {
      return;
    }
    long interval = training.live().minSnapshotIntervalMs() * 1_000_000L;
    if (System.nanoTime() - lastSnapshotNanos < interval) {
      return;
    }
    long done = pendingLiveWindow;
    pendingLiveWindow = -1;
    snapshot(null, epochComplete);
    onStreamThread(() -> queue.windowDone(done));
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
    examplesTrained += batch.size();
    if (batchesInEpoch % PROGRESS_EVERY_BATCHES == 0) {
      long current = examplesInEpoch + batch.size();
      emitMetric(MetricKind.BATCH, (double) result.loss(), null, null, current, null);
      int e = epoch;
      onStreamThread(() -> deps.listener().onBatchProgress(e, current, result.loss()));
    }
    examplesInEpoch += batch.size();
    batchesInEpoch++;
    notePrequential(result, batch.size());
  }

  /**
   * Prequential (test-then-train) accuracy and loss: the batch's forward pass before its update.
   */
  private void notePrequential(StepResult result, int size) {
    lossSum += result.loss();
    correct += result.correct();
    seen += size;
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
        && System.nanoTime() - lastSnapshotNanos
            >= training.snapshotEverySeconds() * 1_000_000_000L;
  }

  private Map<String, Long> lastSnapshotOffsets() {
    return lastSnapshot == null ? Map.of() : lastSnapshot.getInputOffsets();
  }

  private void snapshot(Batch batch, boolean epochComplete) {
    long start = System.nanoTime();
    if (!learner.parametersFinite()) {
      rollBack("parameters are not finite at snapshot time");
    }
    snapshotAfterRollback = false;
    Map<String, Double> metrics = new HashMap<>();
    metrics.put(EXAMPLES_IN_EPOCH, (double) examplesInEpoch);
    metrics.put(BATCHES_IN_EPOCH, (double) batchesInEpoch);
    metrics.put(BAD_STEPS, (double) badSteps);
    metrics.put(ROLLBACKS, (double) rollbacks);
    metrics.put(EXAMPLES_TRAINED, (double) examplesTrained);
    if (liveExamplesTrained > 0) {
      metrics.put(LIVE_EXAMPLES_TRAINED, (double) liveExamplesTrained);
      metrics.put(LIVE_FEED_END, (double) liveFeedEnd);
      if (liveOldestNew <= liveNewestNew) {
        metrics.put(LIVE_OLDEST_NEW_EVENT, (double) liveOldestNew);
        metrics.put(LIVE_NEWEST_NEW_EVENT, (double) liveNewestNew);
      }
    }
    liveOldestNew = Long.MAX_VALUE;
    liveNewestNew = Long.MIN_VALUE;
    Map<String, Long> deadLetterCounts = deadLetters.counts();
    deadLetterCounts.forEach((kind, n) -> metrics.put(DEAD_LETTERS_PREFIX + kind, (double) n));
    ModelSnapshot snapshot =
        StateDicts.snapshot(learner, modelName)
            .version(learner.steps())
            .epoch(epoch)
            .createdAt(Instant.ofEpochMilli(now()))
            .inputOffsets(batch == null ? lastSnapshotOffsets() : inputOffsets(batch))
            .metrics(metrics)
            .build();
    snapshot.setWindowIndex(windowIndex);
    snapshot.setBatchesApplied(batchesApplied);
    snapshot.setEpochComplete(epochComplete);
    snapshot.setSeed(training.seed());
    long encodeNanos = System.nanoTime() - start;
    long time = now();
    onStreamThread(
        () -> {
          context.forward(new Record<>(modelName, snapshot, time), SNAPSHOTS);
          deps.listener().onSnapshot(snapshot, encodeNanos);
        });
    lastSnapshot = snapshot;
    lastSnapshotStep = learner.steps();
    lastSnapshotNanos = System.nanoTime();
    reportDeadLetters(deadLetterCounts);
  }

  /** Wall-clock time: the task's on the stream thread, the system's on the training thread. */
  private long now() {
    return background ? System.currentTimeMillis() : context.currentSystemTimeMs();
  }

  /** One DEAD_LETTER metric per kind whose count changed since the last report. */
  private void reportDeadLetters(Map<String, Long> counts) {
    counts.forEach(
        (kind, n) -> {
          if (!n.equals(reportedDeadLetters.get(kind))) {
            emitMetric(MetricKind.DEAD_LETTER, null, null, null, n, kind);
            reportedDeadLetters.put(kind, n);
          }
        });
  }

  /** The feed offset before which every example is reflected in the parameters. */
  private Map<String, Long> inputOffsets(Batch batch) {
    if (batch.feedPartition().isEmpty()) {
      return Map.of();
    }
    long offset = batch.lastOfWindow() ? batch.windowEndOffset() : batch.windowFirstOffset();
    return Map.of(batch.feedPartition(), offset);
  }

  /**
   * A fresh model initialised from the run's seed, on the configured device: what a trainer starts
   * from, and what {@code bench} trains in memory beside it.
   */
  public static Learner newLearner(Training training) {
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
    Evaluation result = evaluation;
    int e = epoch;
    ModelSnapshot snapshot = lastSnapshot;
    onStreamThread(() -> deps.listener().onEpochEnd(e, result, snapshot));
    examplesInEpoch = 0;
    batchesInEpoch = 0;
  }

  /**
   * Restores the last snapshot's parameters and optimizer state (or a fresh initialisation when
   * there is none) keeping the version counter, and asks for a snapshot at the current position.
   */
  private void rollBack(String reason) {
    rollbacks++;
    consecutiveBadSteps = 0;
    long version = learner.steps();
    String detail;
    if (lastSnapshot != null) {
      StateDicts.restore(learner, withVersion(lastSnapshot, version));
      detail =
          "rolled back to the parameters of snapshot version "
              + lastSnapshot.getVersion()
              + ": "
              + reason;
    } else {
      learner.close();
      learner = newLearner(training);
      learner.setLearningRate(training.learningRateAt(epoch));
      renumber(learner, version);
      detail = "re-initialised (no snapshot yet): " + reason;
    }
    LOG.warn("Model {} {}", modelName, detail);
    emitMetric(MetricKind.ROLLBACK, null, null, null, badSteps, detail);
    snapshotAfterRollback = true;
  }

  private void emitMetric(
      MetricKind kind,
      Double loss,
      Double accuracy,
      Double imagesPerSecond,
      Long count,
      String detail) {
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
            .setTime(Instant.ofEpochMilli(now()))
            .setDetail(detail)
            .build();
    onStreamThread(
        () -> {
          context.forward(
              new Record<>(modelName, metric, metric.getTime().toEpochMilli()), METRICS);
          deps.listener().onMetric(metric);
        });
  }

  /** Steps skipped because of non-finite loss or gradients. */
  long badSteps() {
    return badSteps;
  }

  @Override
  public void close() {
    stopWorker();
    if (learner != null) {
      learner.close();
    }
  }
}
