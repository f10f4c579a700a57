package io.streamtrain.training;

import io.streamtrain.records.DeadLetters;
import io.streamtrain.snapshots.SnapshotMetrics;
import java.time.Duration;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The Streams processor of one model's training: what Kafka Streams calls. The {@link ModelStepper}
 * applies each mini-batch (one optimizer step, prequential metrics, snapshots, the epoch's test
 * evaluation, the numerical guard); this class wires it to the task.
 *
 * <p>Training runs on a thread of its own, the {@link SteppingWorker}, when {@code background} is
 * set (the pipeline's case): the stream thread keeps polling, decoding and buffering the feed while
 * the model steps, so Kafka I/O overlaps the arithmetic. Everything that touches Kafka Streams
 * (forwarding snapshots and metrics, committing) and every listener call is handed back to the
 * stream thread, in order, through a {@link StreamThreadOutbox} that a 1 ms punctuation empties.
 * Without {@code background} (topology tests) the same code runs inline on the stream thread.
 *
 * <p>Kafka Streams may call {@link #init} again on this instance after {@link #close} (a corrupted
 * task is revived), so init starts from nothing but the snapshot it resumes from.
 */
public final class Trainer implements Processor<Long, Batch, Object, Object> {
  static final String SNAPSHOTS = TrainerOutput.SNAPSHOTS;
  static final String METRICS = TrainerOutput.METRICS;

  /** Examples in applied steps since the model's first step: every valid record, once per epoch. */
  public static final String EXAMPLES_TRAINED = ResumePosition.EXAMPLES_TRAINED;

  /** Prefix of the per-kind dead-letter counts, e.g. {@code deadLetters.label-out-of-range}. */
  public static final String DEAD_LETTERS_PREFIX = DeadLetterReport.PREFIX;

  /** See {@link SnapshotMetrics}. */
  public static final String LIVE_EXAMPLES_TRAINED = SnapshotMetrics.LIVE_EXAMPLES_TRAINED;

  public static final String LIVE_FEED_END = SnapshotMetrics.LIVE_FEED_END;
  public static final String LIVE_OLDEST_NEW_EVENT = SnapshotMetrics.LIVE_OLDEST_NEW_EVENT;
  public static final String LIVE_NEWEST_NEW_EVENT = SnapshotMetrics.LIVE_NEWEST_NEW_EVENT;

  private final String modelName;
  private final TrainingSetup setup;
  private final TrainerDependencies deps;
  private final DeadLetters deadLetters;
  private final TrainerQueue queue;
  private final boolean background;
  private final StreamThreadOutbox outbox;
  private final SteppingWorker worker;
  private ModelStepper stepper;

  /** A trainer that steps inline on the stream thread, for tests of one task. */
  public Trainer(
      String modelName, TrainingSetup setup, TrainerDependencies deps, DeadLetters deadLetters) {
    this(
        modelName,
        setup,
        deps,
        deadLetters,
        new TrainerQueue(TrainerQueue.DEFAULT_CAPACITY),
        false);
  }

  Trainer(
      String modelName,
      TrainingSetup setup,
      TrainerDependencies deps,
      DeadLetters deadLetters,
      TrainerQueue queue,
      boolean background) {
    this.modelName = modelName;
    this.setup = setup;
    this.deps = deps;
    this.deadLetters = deadLetters;
    this.queue = queue;
    this.background = background;
    this.outbox = new StreamThreadOutbox(background);
    this.worker = new SteppingWorker(modelName, setup.settings().trainingFirst());
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    stopWorker();
    queue.reset();
    closeStepper();
    TrainerOutput output =
        new TrainerOutput(modelName, context, outbox, deps.listener(), background);
    stepper = new ModelStepper(modelName, setup, deps, deadLetters, queue, output);
    deps.listener().onStart(stepper.lastSnapshot());
    if (background) {
      ModelStepper running = stepper;
      worker.start(
          batch -> stepAndRelease(running, batch),
          running::liveSnapshotIfDue,
          running::finalSnapshotIfStopping);
    }
    context.schedule(
        Duration.ofMillis(background ? 1 : 50),
        PunctuationType.WALL_CLOCK_TIME,
        now -> onPunctuation());
  }

  private void onPunctuation() {
    if (!background) {
      stepper.liveSnapshotIfDue();
      stepper.finalSnapshotIfStopping();
      return;
    }
    outbox.drain();
    Throwable failure = worker.failure();
    if (failure != null) {
      throw new StreamsException("The training thread of model " + modelName + " failed", failure);
    }
    if (deps.stop().isRequested()) {
      worker.requestStop(); // the worker publishes the final snapshot through the outbox
    }
  }

  @Override
  public void process(Record<Long, Batch> record) {
    queue.added();
    if (background) {
      worker.submit(record.value());
    } else {
      stepAndRelease(stepper, record.value());
    }
  }

  private void stepAndRelease(ModelStepper target, Batch batch) {
    long start = System.nanoTime();
    try {
      target.step(batch);
    } finally {
      queue.stepped(batch, System.nanoTime() - start);
    }
  }

  private void stopWorker() {
    if (worker.stop()) {
      outbox.clear();
    }
  }

  private void closeStepper() {
    if (stepper != null) {
      stepper.close();
      stepper = null;
    }
  }

  /** Steps skipped because of non-finite loss or gradients. */
  long badSteps() {
    return stepper.badSteps();
  }

  @Override
  public void close() {
    stopWorker();
    closeStepper();
  }
}
