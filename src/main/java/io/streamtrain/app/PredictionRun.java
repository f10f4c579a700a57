package io.streamtrain.app;

import io.streamtrain.model.Devices;
import io.streamtrain.model.InferenceModel;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.serving.Predictor;
import io.streamtrain.snapshots.ModelHolder;
import io.streamtrain.snapshots.SnapshotFollower;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.ThreadMetadata;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;

/**
 * One instance of the prediction application in this process: a snapshot follower loading newer
 * models off the prediction path, and the Streams app answering {@code images.infer}. Instances (in
 * this JVM or others) share the application id and so split the request partitions; each follows
 * the snapshots itself and serves the newest model.
 *
 * <p>Tuned for latency: one stream thread (an instance scales by adding instances, each with its
 * own model), a 1 ms poll so partial batches are answered in the next round, predictions sent with
 * a 1 ms linger and no compression, request fetches answered by the broker as soon as one byte is
 * there, and at-least-once by default (see PredictCommand's help for the trade-off).
 */
public final class PredictionRun implements AutoCloseable {
  /** PyTorch's intra-op threads when the user did not choose: see {@link #preferOneTorchThread}. */
  public static final String TORCH_THREADS_PROPERTY = "ai.djl.pytorch.num_threads";

  /**
   * How one instance serves.
   *
   * @param exactlyOnce exactly_once_v2 instead of the latency-friendly at_least_once default
   * @param instanceName tells apart the state directories of instances sharing a machine
   * @param streamsOverrides Streams/client properties applied last, e.g. {@code
   *     producer.linger.ms}, {@code poll.ms} (benchmarks use them to try other tunings)
   */
  public record Options(
      int maxBatch,
      Duration maxWait,
      boolean exactlyOnce,
      String instanceName,
      Map<String, String> streamsOverrides) {
    public Options {
      streamsOverrides = Map.copyOf(streamsOverrides);
      if (maxBatch < 1 || maxWait.isNegative()) {
        throw new IllegalArgumentException(
            "--max-batch must be >= 1 and --max-wait-ms >= 0 (got "
                + maxBatch
                + " and "
                + maxWait.toMillis()
                + ")");
      }
    }

    public Options(int maxBatch, Duration maxWait, boolean exactlyOnce, String instanceName) {
      this(maxBatch, maxWait, exactlyOnce, instanceName, Map.of());
    }

    /** {@code --guarantee}: at_least_once (false) or exactly_once (true). */
    public static boolean exactlyOnce(String guarantee) {
      return switch (guarantee) {
        case "at_least_once" -> false;
        case "exactly_once" -> true;
        default ->
            throw new IllegalArgumentException(
                "--guarantee must be at_least_once or exactly_once (got " + guarantee + ")");
      };
    }

    public static Options defaults() {
      return new Options(64, Duration.ofMillis(5), false, "");
    }

    public Options withInstanceName(String name) {
      return new Options(maxBatch, maxWait, exactlyOnce, name, streamsOverrides);
    }
  }

  private static final Duration CLOSE_WAIT = Duration.ofSeconds(15);

  /**
   * Synthetic requests run through the whole request path before the first model serves (0: only
   * the model's forward passes are warmed), e.g. {@code -Dstreamtrain.predictor.warmup.requests=0}.
   */
  public static final String WARMUP_REQUESTS_PROPERTY = "streamtrain.predictor.warmup.requests";

  static final int DEFAULT_WARMUP_REQUESTS = 10_000;
  // Rounds of forward passes over the micro-batch sizes before the first model serves.
  private static final int WARM_ROUNDS = 3;

  private final ModelHolder models = new ModelHolder();
  private final Predictor.Stats stats = new Predictor.Stats();
  private final SnapshotFollower follower;
  private final KafkaStreams streams;
  private final AtomicReference<Throwable> fatal = new AtomicReference<>();

  public PredictionRun(Pipeline pipeline, Options options) {
    ExplainedFailures.install();
    // Only the first model meets a cold engine and JIT; later swaps stay as fresh as they were.
    AtomicBoolean cold = new AtomicBoolean(true);
    models.warmWith(
        model -> {
          if (cold.getAndSet(false)) {
            model.warm(options.maxBatch(), WARM_ROUNDS);
            warmRequestPath(pipeline, model, options);
          }
        });
    follower =
        new SnapshotFollower(
            pipeline.settings().consumerProps(null),
            pipeline.names().modelSnapshots(),
            pipeline.settings().modelName(),
            pipeline.serde(ModelSnapshot.class).deserializer(),
            Devices.select(pipeline.settings().training().device()),
            models);
    Properties props = streamsProps(pipeline, options);
    streams =
        new KafkaStreams(
            pipeline.predictionTopology(
                models,
                options.maxBatch(),
                // Under exactly-once no request may wait across a transaction commit.
                options.exactlyOnce() ? Duration.ZERO : options.maxWait(),
                stats),
            props);
    streams.setUncaughtExceptionHandler(
        e -> {
          fatal.compareAndSet(null, e);
          return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
  }

  /**
   * Runs {@value #WARMUP_REQUESTS_PROPERTY} synthetic requests (default {@value
   * #DEFAULT_WARMUP_REQUESTS}) through the request path before the first model serves. A warm-up
   * that fails (the registry unreachable, say) costs the first requests their speed, nothing else.
   */
  private static void warmRequestPath(Pipeline pipeline, InferenceModel model, Options options) {
    int requests = Integer.getInteger(WARMUP_REQUESTS_PROPERTY, DEFAULT_WARMUP_REQUESTS);
    if (requests <= 0) {
      return;
    }
    long start = System.nanoTime();
    try {
      RequestPathWarmup.Result result =
          RequestPathWarmup.run(pipeline, model, options.maxBatch(), options.maxWait(), requests);
      System.err.printf(
          Locale.ROOT,
          "Warmed the request path: %,d synthetic requests answered in %.1f s%s%n",
          result.predictions(),
          (System.nanoTime() - start) / 1e9,
          result.deadLetters() == 0 ? "" : " (" + result.deadLetters() + " refused)");
    } catch (RuntimeException e) {
      System.err.println("Request-path warm-up skipped: " + Errors.oneLine(e));
    }
  }

  public static Properties streamsProps(Pipeline pipeline, Options options) {
    Properties props =
        pipeline.settings().streamsProps(pipeline.predictorApplicationId(), options.exactlyOnce());
    // One thread: the ModelHolder hands models to one prediction thread; scale with instances.
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "1");
    // Streams punctuates (answers a partial batch) only between polls: poll briefly when idle.
    props.put(StreamsConfig.POLL_MS_CONFIG, "1");
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, "0");
    // A prediction is ~150 bytes: lz4 saves nothing worth its CPU. A 1 ms linger gathers the
    // predictions of a few batches into one produce request (docs/benchmarks.md has the CPU saved).
    props.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), "1");
    props.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "none");
    // The broker answers a fetch once one byte is there; the wait only bounds an idle fetch.
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MIN_BYTES_CONFIG), "1");
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), "50");
    String dir =
        options.instanceName().isEmpty() ? "predictor" : "predictor-" + options.instanceName();
    props.put(
        StreamsConfig.STATE_DIR_CONFIG, pipeline.settings().stateDir().resolve(dir).toString());
    // Whatever the user put in the properties file wins over the tuning above.
    props.putAll(pipeline.settings().kafkaOverrides());
    props.putAll(options.streamsOverrides());
    GroupLiveness.applyDefaults(props);
    return props;
  }

  /**
   * Uses one PyTorch intra-op thread unless {@code -Dai.djl.pytorch.num_threads} says otherwise. A
   * micro-batch is too small to split across cores, and on a machine shared with the broker and a
   * trainer a second OpenMP thread spins waiting for a descheduled peer (docs/benchmarks.md has the
   * measured passes). Call before the engine loads.
   */
  public static void preferOneTorchThread() {
    if (System.getProperty(TORCH_THREADS_PROPERTY) == null) {
      System.setProperty(TORCH_THREADS_PROPERTY, "1");
    }
  }

  /** Starts following snapshots, waits for a first model (bounded), then starts serving. */
  public PredictionRun start(Duration waitForModel) throws InterruptedException {
    follower.start();
    if (!models.awaitModel(waitForModel)) {
      throw new IllegalStateException(
          "No snapshot of the model on the snapshots topic within "
              + waitForModel.toSeconds()
              + " s: start a trainer first (streamtrain train)");
    }
    streams.start();
    return this;
  }

  /** Version of the model this instance serves (or loaded and serves next); -1 before any. */
  public long modelVersion() {
    return models.version();
  }

  /** Version of the newest snapshot loaded by the follower. */
  public long newestLoadedVersion() {
    return follower.newestVersion();
  }

  public Predictor.Stats stats() {
    return stats;
  }

  /** Tells {@code observer} whenever a model version starts serving (on the prediction thread). */
  public void observeSwaps(ModelHolder.SwapObserver observer) {
    models.observeSwaps(observer);
  }

  public long modelSwaps() {
    return models.swaps();
  }

  public KafkaStreams streams() {
    return streams;
  }

  /** Request partitions this instance serves now. */
  public int assignedPartitions() {
    int n = 0;
    for (ThreadMetadata thread : streams.metadataForLocalThreads()) {
      for (var task : thread.activeTasks()) {
        n += task.topicPartitions().size();
      }
    }
    return n;
  }

  public void throwIfFailed() {
    Throwable t = fatal.get();
    if (t != null) {
      throw StopReasons.stopped("Predictor", t);
    }
  }

  @Override
  public void close() {
    try {
      // Leaving the group lets a restarted instance get the partitions at once.
      streams.close(
          CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
              .withTimeout(CLOSE_WAIT));
    } finally {
      follower.close();
      models.close();
    }
  }
}
