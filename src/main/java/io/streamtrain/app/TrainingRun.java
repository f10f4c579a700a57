package io.streamtrain.app;

import io.streamtrain.kafka.TailStart;
import io.streamtrain.kafka.TopicCatalog;
import io.streamtrain.metrics.TrainingListener;
import io.streamtrain.model.SnapshotRejectedException;
import io.streamtrain.snapshots.Resume;
import io.streamtrain.training.SnapshotSize;
import io.streamtrain.training.StopSignal;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.ThreadMetadata;
import org.apache.kafka.streams.errors.DefaultProductionExceptionHandler;
import org.apache.kafka.streams.errors.LogAndFailProcessingExceptionHandler;
import org.apache.kafka.streams.errors.MissingSourceTopicException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;

/**
 * The training application running in this process: starts the Streams app, stops it cleanly (final
 * snapshot first) and turns a fatal error into an exception for the command to report.
 *
 * <p>Error handling: records the trainer cannot use are dead-lettered by the MiniBatcher itself (it
 * reads the feed as bytes, so Streams' deserialization handler never sees them), inside the
 * exactly-once transaction and counted per kind. Everything else fails the trainer on purpose,
 * which is why the processing and production handlers are the failing ones: skipping a batch or a
 * snapshot would break the model's lineage, while a failed task's transaction is aborted and a
 * restart resumes exactly. Streams' built-in dead-letter topic (KIP-1034) is set to {@code
 * images.dlq} all the same, so that a handler a user configures to continue writes there, with the
 * header names our own dead letters use.
 */
public final class TrainingRun implements AutoCloseable {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TrainingRun.class);
  private static final int MAX_REPLACEMENTS = 5;
  private static final Duration REPLACEMENT_WINDOW = Duration.ofMinutes(5);
  private static final Duration FINAL_SNAPSHOT_WAIT = Duration.ofSeconds(60);
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(30);

  /**
   * Stream threads of a following trainer: the live tail's task gets a thread of its own (Streams
   * gives the stateless task to the thread without the stateful one), with its own consumer and
   * transactional producer. On the batcher's thread it waited behind the decoding of a replay's
   * backlog, the drain punctuations and the snapshots in the trainer's transactions. Each thread
   * commits its own tasks exactly once, the tail's offsets in the same group as before, so a
   * restart resumes where it stopped.
   */
  static final int LIVE_THREADS = 2;

  private static final int LIVE_METADATA_MAX_AGE_MS = 5_000;

  /** Records per poll of a following trainer's stream threads (Settings gives 2,000 otherwise). */
  static final int LIVE_MAX_POLL_RECORDS = 200;

  /** Bytes per partition and fetch of a following trainer (Settings gives 16 MiB otherwise). */
  static final int LIVE_PARTITION_FETCH_BYTES = 1 << 20;

  private static final int FEED_RECEIVE_BUFFER_BYTES = 1 << 20;

  private final Pipeline pipeline;
  private final boolean liveTail;
  private final KafkaStreams streams;
  private final StopSignal stop = new StopSignal();
  private final AtomicReference<Throwable> fatal = new AtomicReference<>();
  // Stream-thread replacements in the current window (see onStreamThreadError).
  private int replacements;
  private long lastReplacementNanos;

  public TrainingRun(Pipeline pipeline, boolean fromScratch, TrainingListener listener) {
    this(pipeline, fromScratch ? Resume.fromScratch() : Resume.latest(), listener);
  }

  public TrainingRun(Pipeline pipeline, Resume resume, TrainingListener listener) {
    this(pipeline, resume, listener, false);
  }

  /**
   * @param liveTail also learn, once each, the records that arrive on the dataset topic from now on
   *     (from where the tail stopped, on a restart), without replay
   */
  public TrainingRun(
      Pipeline pipeline, Resume resume, TrainingListener listener, boolean liveTail) {
    ExplainedFailures.install();
    this.pipeline = pipeline;
    this.liveTail = liveTail;
    Properties props = pipeline.settings().streamsProps(pipeline.trainerApplicationId(), true);
    // The batcher hands batches to the training thread in punctuations, which run between polls:
    // an idle poll must not block for the default 100 ms while the training thread runs dry.
    props.put(StreamsConfig.POLL_MS_CONFIG, "5");
    // Feed fetches carry megabytes: a socket buffer of 64 KiB (the consumer's default) splits
    // each into many reads.
    props.putIfAbsent(
        StreamsConfig.mainConsumerPrefix(ConsumerConfig.RECEIVE_BUFFER_CONFIG),
        String.valueOf(FEED_RECEIVE_BUFFER_BYTES));
    // A big model's snapshot is many chunk records in one transaction, written while it is open:
    // Streams' 10 s default could let the broker abort it (and fence the trainer) on a slow disk.
    long transactionMs =
        SnapshotSize.transactionTimeoutMs(SnapshotSize.expectedBytes(pipeline.trainingSetup()));
    if (transactionMs > 0) {
      props.putIfAbsent(
          StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG),
          String.valueOf(transactionMs));
    }
    if (liveTail) {
      props.putIfAbsent(StreamsConfig.NUM_STREAM_THREADS_CONFIG, String.valueOf(LIVE_THREADS));
      // A stream thread polls again only once it has processed every record of its last poll: a
      // live record fetched meanwhile waits for up to that many replayed ones to be decoded.
      props.putIfAbsent(
          StreamsConfig.mainConsumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG),
          String.valueOf(LIVE_MAX_POLL_RECORDS));
      // The consumer hands out one partition's fetched records before the next's: a fetch of many
      // MB of replayed records would keep the live lane's, fetched with it, waiting behind them.
      props.putIfAbsent(
          StreamsConfig.mainConsumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG),
          String.valueOf(LIVE_PARTITION_FETCH_BYTES));
      // Process what is buffered rather than wait for a partition known to have more on the
      // broker: the lane's records still go first once fetched, and the feed does not stall
      // whenever the live tail has just committed.
      props.putIfAbsent(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, "-1");
      // A deleted dataset topic stops the app through a rebalance that the group leader starts
      // when its metadata changes; the leader may be the feed's thread, which does not fetch the
      // dataset topic and would otherwise refresh its metadata only every 5 minutes.
      props.putIfAbsent(
          StreamsConfig.mainConsumerPrefix(ConsumerConfig.METADATA_MAX_AGE_CONFIG),
          String.valueOf(LIVE_METADATA_MAX_AGE_MS));
    }
    GroupLiveness.applyDefaults(props);
    props.putIfAbsent(
        StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, pipeline.names().imagesDlq());
    props.putIfAbsent(
        StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
        LogAndFailProcessingExceptionHandler.class.getName());
    props.putIfAbsent(
        StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG,
        DefaultProductionExceptionHandler.class.getName());
    streams = new KafkaStreams(pipeline.trainingTopology(resume, listener, stop, liveTail), props);
    streams.setUncaughtExceptionHandler(this::onStreamThreadError);
  }

  /**
   * A Kafka-side failure (a transaction the broker aborted during an outage longer than the
   * transaction timeout, a fenced producer) costs only the open transaction: a replaced thread
   * restarts the task from the committed state and the newest snapshot, the path a crash takes.
   * Anything else (a refused snapshot, a bug), or too many replacements in a row, stops the app.
   */
  private StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse onStreamThreadError(
      Throwable e) {
    long now = System.nanoTime();
    if (now - lastReplacementNanos > REPLACEMENT_WINDOW.toNanos()) {
      replacements = 0;
    }
    if (StopReasons.isKafkaFailure(e) && replacements < MAX_REPLACEMENTS) {
      replacements++;
      lastReplacementNanos = now;
      LOG.warn(
          "Trainer thread failed ({}); replacing it, resuming from committed state",
          Errors.oneLine(e));
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    }
    fatal.compareAndSet(null, e);
    return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
  }

  /** Checks the feed (it must exist and have one partition), then starts the app. */
  public TrainingRun start() {
    try {
      requireOneFeedPartition(pipeline.names().trainFeed());
      pipeline.publishModule();
      if (liveTail) {
        createLiveFeedIfMissing();
        requireOneFeedPartition(pipeline.names().liveFeed());
        var started =
            TailStart.atEndUnlessCommitted(
                pipeline.settings().adminProps(),
                pipeline.trainerApplicationId(),
                pipeline.names().imagesTrain());
        LOG.info(
            started.isEmpty()
                ? "Live tail of {} resumes where it stopped"
                : "Live tail of {} starts at its end: {}",
            pipeline.names().imagesTrain(),
            started);
      }
    } catch (RuntimeException e) {
      streams.close(Duration.ofSeconds(10));
      throw e;
    }
    streams.start();
    return this;
  }

  /**
   * Batch composition must be a function of feed offsets for a restarted trainer to rebuild the
   * same batches, and one model has one trainer: both need a feed of exactly one partition (with
   * several, Streams would also run one trainer per partition, each publishing the same model).
   */
  private void requireOneFeedPartition(String feed) {
    int partitions;
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(pipeline.settings().consumerProps(null))) {
      var infos = consumer.partitionsFor(feed, Duration.ofSeconds(30));
      partitions = infos == null ? 0 : infos.size();
    }
    if (partitions == 0) {
      throw new IllegalStateException(
          "The training feed "
              + feed
              + " does not exist (create the topics with: streamtrain topics create)");
    }
    if (partitions != 1) {
      throw new IllegalStateException(
          "The training feed "
              + feed
              + " has "
              + partitions
              + " partitions; the trainer needs exactly 1 so that a restart rebuilds the same"
              + " batches (delete it and run: streamtrain topics create)");
    }
  }

  /** Topics made before the feed had a live lane lack it: the live tail adds it. */
  private void createLiveFeedIfMissing() {
    try (Admin admin = Admin.create(pipeline.settings().adminProps())) {
      String lane = pipeline.names().liveFeed();
      TopicCatalog.create(
          admin,
          TopicCatalog.specs(pipeline.names()).stream()
              .filter(s -> s.name().equals(lane))
              .toList());
    }
  }

  /** The Streams client, for metrics binders. */
  public KafkaStreams streams() {
    return streams;
  }

  /** The error that stopped the trainer, if any. */
  public Throwable failure() {
    return fatal.get();
  }

  public void throwIfFailed() {
    Throwable t = fatal.get();
    if (t == null) {
      return;
    }
    SnapshotRejectedException rejected = StopReasons.find(t, SnapshotRejectedException.class);
    if (rejected != null) {
      throw new IllegalStateException(StopReasons.refusal(rejected), t);
    }
    if (StopReasons.find(t, MissingSourceTopicException.class) != null) {
      LOG.debug("Trainer stopped", t);
      throw new IllegalStateException(
          "Trainer stopped: a topic it reads was deleted ("
              + (liveTail
                  ? "the dataset topic " + pipeline.names().imagesTrain() + " it follows, or "
                  : "")
              + "the feed "
              + pipeline.names().trainFeed()
              + "); recreate it with: streamtrain topics create, and start the trainer again");
    }
    throw stopped("Trainer", t);
  }

  /** The exception that tells the user why {@code what} stopped (see {@link StopReasons}). */
  static IllegalStateException stopped(String what, Throwable t) {
    return StopReasons.stopped(what, t);
  }

  /**
   * Waits for the end of {@code epoch}, as {@link #awaitEpoch(QuickstartPrinter, int, Runnable)}.
   */
  public void awaitEpoch(QuickstartPrinter printer, int epoch) throws Exception {
    awaitEpoch(printer, epoch, () -> {});
  }

  /**
   * Waits for the end of {@code epoch}; fails when the trainer fails or stops, or when {@code
   * alsoCheck} (run about once a second) throws, for what else feeds the run.
   */
  public void awaitEpoch(QuickstartPrinter printer, int epoch, Runnable alsoCheck)
      throws Exception {
    awaitEpoch(printer, epoch, alsoCheck, () -> false);
  }

  /**
   * As {@link #awaitEpoch(QuickstartPrinter, int, Runnable)}, also returning as soon as {@code
   * reachedElsewhere} (asked about once a second) says the model got there by another trainer.
   */
  public void awaitEpoch(
      QuickstartPrinter printer, int epoch, Runnable alsoCheck, BooleanSupplier reachedElsewhere)
      throws Exception {
    while (true) {
      alsoCheck.run();
      throwIfFailed();
      if (reachedElsewhere.getAsBoolean()) {
        return;
      }
      try {
        printer.epoch(epoch).get(1, TimeUnit.SECONDS);
        return;
      } catch (TimeoutException e) {
        if (!state().isRunningOrRebalancing() && state() != KafkaStreams.State.CREATED) {
          throwIfFailed();
          throw new IllegalStateException("Trainer stopped in state " + state());
        }
      }
    }
  }

  /**
   * Whether a stream thread of this instance runs the trainer's task (the feed's) now; the live
   * tail's task alone is not training.
   */
  public boolean isActive() {
    String feed = pipeline.names().trainFeed();
    for (ThreadMetadata thread : streams.metadataForLocalThreads()) {
      for (var task : thread.activeTasks()) {
        if (task.topicPartitions().stream().anyMatch(tp -> tp.topic().equals(feed))) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * The member of the trainer's consumer group that has the feed when this instance, running, has
   * no task: another process trains the model and this one stands by. Empty otherwise, or when the
   * group cannot be described now.
   */
  public Optional<String> activeElsewhere() {
    if (streams.state() != KafkaStreams.State.RUNNING || isActive()) {
      return Optional.empty();
    }
    String group = pipeline.trainerApplicationId();
    String feed = pipeline.names().trainFeed();
    try (Admin admin = Admin.create(pipeline.settings().adminProps())) {
      ConsumerGroupDescription description =
          admin
              .describeConsumerGroups(List.of(group))
              .describedGroups()
              .get(group)
              .get(10, TimeUnit.SECONDS);
      return description.members().stream()
          .filter(
              m ->
                  m.assignment().topicPartitions().stream().anyMatch(tp -> tp.topic().equals(feed)))
          .map(m -> m.clientId() + " at " + m.host())
          .findFirst();
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      LOG.debug("Cannot describe the trainer group {}", group, e);
      return Optional.empty();
    }
  }

  public KafkaStreams.State state() {
    return streams.state();
  }

  /**
   * Asks the trainer for a final snapshot, waits for it (bounded), then closes the app, leaving the
   * consumer group: the trainer is the model's only member, so the next start need not wait for
   * this one's session to expire before it gets the feed.
   */
  @Override
  public void close() {
    stop.request();
    try {
      // Bounded, and cut short when the stream thread is gone (e.g. a stop during an outage).
      long deadline = System.nanoTime() + FINAL_SNAPSHOT_WAIT.toNanos();
      // A standby (no task) has no final snapshot to publish.
      while (streams.state().isRunningOrRebalancing()
          && isActive()
          && fatal.get() == null
          && System.nanoTime() < deadline
          && !stop.awaitFinalSnapshot(Duration.ofMillis(500))) {
        // wait on
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      streams.close(
          CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
              .withTimeout(CLOSE_WAIT));
    }
  }
}
