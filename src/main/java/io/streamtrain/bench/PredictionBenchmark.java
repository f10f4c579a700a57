package io.streamtrain.bench;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streamtrain.app.Errors;
import io.streamtrain.app.Pipeline;
import io.streamtrain.app.PredictionRun;
import io.streamtrain.app.TrainingRun;
import io.streamtrain.config.Settings;
import io.streamtrain.config.SettingsLoader;
import io.streamtrain.data.DatasetLocator;
import io.streamtrain.data.FashionMnist;
import io.streamtrain.data.LabeledDataset;
import io.streamtrain.data.LabeledImages;
import io.streamtrain.data.Split;
import io.streamtrain.kafka.EmbeddedKafka;
import io.streamtrain.kafka.Publisher;
import io.streamtrain.kafka.Replayer;
import io.streamtrain.kafka.TopicCatalog;
import io.streamtrain.model.Learner;
import io.streamtrain.model.ModelSpec;
import io.streamtrain.model.OptimizerConfig;
import io.streamtrain.model.StateDicts;
import io.streamtrain.registry.MockSchemaRegistry;
import io.streamtrain.schema.ImageEncoding;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.training.Trainer;
import io.streamtrain.training.TrainingListener;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.Serializer;
import picocli.CommandLine.Option;

/**
 * {@code bench --predict}: prediction latency and throughput measured end to end in one process.
 *
 * <p>Set-up: an embedded broker, a {@code mock://} registry, the topics (images.infer with {@code
 * --partitions}, 4 by default), and a first snapshot of the quickstart MLP freshly initialised from
 * the seed (version 0: serving cost does not depend on the weights, so no training is needed before
 * measuring). Then {@code --instances} prediction instances sharing the application id (each its
 * own Streams app, snapshot follower and model, as separate processes would be).
 *
 * <p>Load: an open-loop generator sends Fashion-MNIST test images (or generated 28x28 images when
 * the dataset is not found) as {@code images.infer} requests at a fixed rate on a schedule: request
 * i is due at {@code start + i/rate} and its latency is measured from that due time, so a stalled
 * send or a slow answer is charged to the requests behind it (no coordinated omission). A consumer
 * of {@code predictions} records due-time-to-arrival latency in an HdrHistogram (microseconds) and
 * counts every request id, so a lost or duplicated prediction is seen.
 *
 * <p>{@code --find-max} searches the highest rate whose p99 stays under {@code --p99-target-ms}
 * with nothing lost: doubling until a rate fails, then bisecting to 10 %. {@code --train} measures
 * the same again with a real trainer running in the process (the TrainingRun of {@code train} on a
 * replayed Fashion-MNIST subset, snapshotting every 100 steps so the predictors also hot-swap
 * during the measurement), and prints idle and training figures side by side.
 */
public final class PredictionBenchmark {
  private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(15);
  private static final String MODEL_NAME = "fashion-mlp";

  /**
   * What to measure.
   *
   * @param rate requests per second (the starting rate with {@code findMax})
   * @param duration measured seconds per trial
   * @param warmup seconds at the first rate before measuring (JIT, connections, first batches)
   * @param instances prediction instances sharing the request partitions
   * @param partitions partitions of images.infer
   * @param attempts trials per rate with {@code findMax} before the rate counts as failed
   * @param p99TargetMs the latency bound a sustained rate must keep
   * @param trainImages Fashion-MNIST training images the trainer cycles through with {@code train}
   * @param dataDir Fashion-MNIST directory, null for the standard locations
   * @param predictorConfig Streams/client properties for the prediction instances, applied last
   * @param requestConfig producer properties for the load generator, applied last
   */
  public record Options(
      double rate,
      Duration duration,
      Duration warmup,
      int instances,
      int partitions,
      int maxBatch,
      Duration maxWait,
      boolean exactlyOnce,
      boolean findMax,
      int attempts,
      double p99TargetMs,
      boolean train,
      int trainImages,
      Path dataDir,
      Map<String, String> predictorConfig,
      Map<String, String> requestConfig) {
    public Options {
      predictorConfig = Map.copyOf(predictorConfig);
      requestConfig = Map.copyOf(requestConfig);
      require(rate > 0, "--rate must be > 0 requests/s (got " + rate + ")");
      require(!duration.isNegative() && !duration.isZero(), "--duration must be > 0 seconds");
      require(!warmup.isNegative(), "--warmup must be >= 0 seconds");
      require(
          instances >= 1 && instances <= 16, "--instances must be 1..16 (got " + instances + ")");
      require(partitions >= 1, "--partitions must be >= 1 (got " + partitions + ")");
      require(maxBatch >= 1, "--max-batch must be >= 1 (got " + maxBatch + ")");
      require(!maxWait.isNegative(), "--max-wait-ms must be >= 0");
      require(p99TargetMs > 0, "--p99-target-ms must be > 0 (got " + p99TargetMs + ")");
      require(attempts >= 1, "--attempts must be at least 1 (got " + attempts + ")");
      require(trainImages >= 64, "--train-images must be at least one batch of 64");
    }

    public static Options defaults() {
      return new Options(
          500,
          Duration.ofSeconds(30),
          Duration.ofSeconds(60),
          1,
          TopicCatalog.DEFAULT_INFER_PARTITIONS,
          64,
          Duration.ofMillis(5),
          false,
          false,
          2,
          50,
          false,
          60_000,
          null,
          Map.of(),
          Map.of());
    }
  }

  /**
   * The picocli flags of {@code bench --predict}, for BenchCommand to mix in ({@code @Mixin}).
   * {@code --json} and {@code --data} are left to the command, which shares them with other modes.
   */
  public static final class Flags {
    /** {@code bench --live}'s options from the flags it shares: rate, duration, find-max, bound. */
    public LiveBenchmark.Options toLiveOptions(
        java.nio.file.Path data, Map<String, String> training, boolean boundGiven) {
      return new LiveBenchmark.Options(
          rate == null ? 1000 : rate,
          java.time.Duration.ofSeconds(durationSeconds == null ? 30 : durationSeconds),
          findMax,
          boundGiven ? p99TargetMs : 5000,
          training,
          java.util.Optional.ofNullable(data));
    }

    @Option(
        names = "--rate",
        description = "Requests per second (default 500; the first rate of --find-max: 2000).")
    Double rate;

    @Option(
        names = "--duration",
        description = "Measured seconds per run (default 30; 10 per step of --find-max).")
    Integer durationSeconds;

    @Option(
        names = "--warmup",
        description =
            "Seconds of load before measuring each phase (default 60: the JIT needs about a minute"
                + " on 2 cores).")
    int warmupSeconds = 60;

    @Option(
        names = "--instances",
        description = "Prediction instances sharing images.infer (default 1).")
    int instances = 1;

    @Option(names = "--partitions", description = "Partitions of images.infer (default 4).")
    int partitions = TopicCatalog.DEFAULT_INFER_PARTITIONS;

    @Option(names = "--max-batch", description = "Most requests per forward pass (default 64).")
    int maxBatch = 64;

    @Option(
        names = "--max-wait-ms",
        description = "Longest a request waits for its batch to fill (default 5).")
    int maxWaitMs = 5;

    @Option(names = "--guarantee", description = "at_least_once (default) or exactly_once.")
    String guarantee = "at_least_once";

    @Option(
        names = "--find-max",
        description = "Search the highest rate with p99 under --p99-target-ms and nothing lost.")
    boolean findMax;

    @Option(
        names = "--p99-target-ms",
        description = "Latency bound of a sustained rate (default 50).")
    double p99TargetMs = 50;

    @Option(
        names = "--attempts",
        description = "With --find-max: tries per rate before it counts as failed (default 2).")
    int attempts = 2;

    @Option(
        names = "--train",
        description = "Measure idle, then again with a trainer running in the process.")
    boolean train;

    @Option(
        names = "--train-images",
        description = "Training images the trainer cycles through (default 60000).")
    int trainImages = 60_000;

    @Option(
        names = "--predictor-config",
        paramLabel = "KEY=VALUE",
        description =
            "Streams/client property for the prediction instances (repeatable), e.g."
                + " producer.linger.ms=1.")
    Map<String, String> predictorConfig = new HashMap<>();

    @Option(
        names = "--request-config",
        paramLabel = "KEY=VALUE",
        description = "Producer property for the load generator (repeatable), e.g. linger.ms=1.")
    Map<String, String> requestConfig = new HashMap<>();

    /** The options these flags describe; {@code dataDir} is Fashion-MNIST's, null to locate it. */
    public Options toOptions(Path dataDir) {
      boolean exactlyOnce = PredictionRun.Options.exactlyOnce(guarantee);
      return new Options(
          rate != null ? rate : findMax ? 2000 : 500,
          Duration.ofSeconds(durationSeconds != null ? durationSeconds : findMax ? 10 : 30),
          Duration.ofSeconds(warmupSeconds),
          instances,
          partitions,
          maxBatch,
          Duration.ofMillis(maxWaitMs),
          exactlyOnce,
          findMax,
          attempts,
          p99TargetMs,
          train,
          trainImages,
          dataDir,
          predictorConfig,
          requestConfig);
    }
  }

  /** Latency percentiles in milliseconds. */
  public record Latency(
      double p50, double p90, double p99, double p999, double max, double mean, long count) {
    static Latency of(Histogram h) {
      return new Latency(
          ms(h.getValueAtPercentile(50)),
          ms(h.getValueAtPercentile(90)),
          ms(h.getValueAtPercentile(99)),
          ms(h.getValueAtPercentile(99.9)),
          ms(h.getMaxValue()),
          h.getTotalCount() == 0 ? 0 : h.getMean() / 1000.0,
          h.getTotalCount());
    }

    private static double ms(long micros) {
      return micros / 1000.0;
    }
  }

  /**
   * One fixed-rate run.
   *
   * @param phase "idle" or "training"
   * @param offeredRate the schedule's rate; {@code sentRate} what the generator achieved
   * @param achievedRate distinct requests answered per second, from the first due time to the last
   *     answer
   * @param lost requests without a prediction 15 s after the last send; {@code duplicates} extra
   *     answers
   * @param errors failed sends, dead-lettered requests and unreadable prediction keys
   * @param meanBatch requests per forward pass over all instances
   * @param minModelVersion version served at the start (lowest over instances); {@code
   *     maxModelVersion} at the end, and {@code modelSwaps} the hot swaps in between
   * @param cpuPercent CPU used by this process, in % of the whole machine
   * @param loadAverage the machine's 1-minute load average at the end (other tenants show here)
   */
  public record Trial(
      String phase,
      double offeredRate,
      double sentRate,
      double achievedRate,
      double seconds,
      long sent,
      long answered,
      long lost,
      long duplicates,
      long errors,
      Latency latency,
      double meanBatch,
      long largestBatch,
      long minModelVersion,
      long maxModelVersion,
      long modelSwaps,
      double cpuPercent,
      double loadAverage,
      boolean sustained) {}

  /** Everything a run measured; {@code best} per phase holds the top sustained trial. */
  public record Result(
      Options options,
      List<Trial> trials,
      Map<String, Trial> best,
      int cores,
      String requestSource,
      String model) {

    /** True when no trial lost, duplicated or failed a request (what a CI gate should check). */
    public boolean noLossNoDuplicates() {
      return trials.stream().allMatch(t -> t.lost() == 0 && t.duplicates() == 0 && t.errors() == 0);
    }

    public String toJson() {
      ObjectMapper mapper = new ObjectMapper();
      ObjectNode root = mapper.createObjectNode();
      root.put("benchmark", "predict");
      root.put("mode", options.findMax() ? "find-max" : "fixed-rate");
      root.put("noLossNoDuplicates", noLossNoDuplicates());
      ObjectNode setup = root.putObject("setup");
      setup.put("cores", cores);
      setup.put("instances", options.instances());
      setup.put("partitions", options.partitions());
      setup.put("maxBatch", options.maxBatch());
      setup.put("maxWaitMs", options.maxWait().toMillis());
      setup.put("guarantee", options.exactlyOnce() ? "exactly_once" : "at_least_once");
      setup.put("durationSeconds", options.duration().toSeconds());
      setup.put("warmupSeconds", options.warmup().toSeconds());
      setup.put("p99TargetMs", options.p99TargetMs());
      setup.put("attempts", options.attempts());
      setup.put("train", options.train());
      setup.put("requests", requestSource);
      setup.put("model", model);
      setup.put(
          "torchThreads", System.getProperty(PredictionRun.TORCH_THREADS_PROPERTY, "default"));
      options.predictorConfig().forEach((k, v) -> setup.put("predictor." + k, v));
      options.requestConfig().forEach((k, v) -> setup.put("request." + k, v));
      ArrayNode list = root.putArray("trials");
      for (Trial t : trials) {
        list.add(trialJson(mapper, t));
      }
      ObjectNode bestNode = root.putObject("best");
      best.forEach((phase, t) -> bestNode.set(phase, trialJson(mapper, t)));
      try {
        return mapper.writeValueAsString(root);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot render the benchmark result as JSON", e);
      }
    }

    private static ObjectNode trialJson(ObjectMapper mapper, Trial t) {
      ObjectNode n = mapper.createObjectNode();
      n.put("phase", t.phase());
      n.put("offeredRate", t.offeredRate());
      n.put("sentRate", round(t.sentRate()));
      n.put("achievedRate", round(t.achievedRate()));
      n.put("seconds", round(t.seconds()));
      n.put("sent", t.sent());
      n.put("answered", t.answered());
      n.put("lost", t.lost());
      n.put("duplicates", t.duplicates());
      n.put("errors", t.errors());
      ObjectNode l = n.putObject("latencyMs");
      l.put("p50", t.latency().p50());
      l.put("p90", t.latency().p90());
      l.put("p99", t.latency().p99());
      l.put("p99.9", t.latency().p999());
      l.put("max", t.latency().max());
      l.put("mean", round(t.latency().mean()));
      n.put("meanBatch", round(t.meanBatch()));
      n.put("largestBatch", t.largestBatch());
      n.put("minModelVersion", t.minModelVersion());
      n.put("modelSwaps", t.modelSwaps());
      n.put("maxModelVersion", t.maxModelVersion());
      n.put("cpuPercent", round(t.cpuPercent()));
      n.put("loadAverage", t.loadAverage());
      n.put("sustained", t.sustained());
      return n;
    }

    private static double round(double v) {
      return Math.round(v * 100) / 100.0;
    }

    /** One line per trial, then the best sustained rate per phase (and the training ratio). */
    public String toTable() {
      StringBuilder out = new StringBuilder();
      out.append(
          String.format(
              Locale.ROOT,
              "predict bench: %d instance(s), %d partitions, max batch %d, max wait %d ms, %s,"
                  + " %d cores%n",
              options.instances(),
              options.partitions(),
              options.maxBatch(),
              options.maxWait().toMillis(),
              options.exactlyOnce() ? "exactly_once" : "at_least_once",
              cores));
      out.append(
          String.format(
              Locale.ROOT,
              "%-8s %8s %9s %7s %7s %7s %7s %8s %8s %6s %5s %5s %6s %5s %5s %s%n",
              "phase",
              "rate/s",
              "achieved",
              "p50ms",
              "p90ms",
              "p99ms",
              "p99.9ms",
              "max ms",
              "answered",
              "lost",
              "dup",
              "err",
              "batch",
              "cpu%",
              "load",
              "sustained"));
      for (Trial t : trials) {
        Latency l = t.latency();
        out.append(
            String.format(
                Locale.ROOT,
                "%-8s %8.0f %9.0f %7.2f %7.2f %7.2f %7.2f %8.2f %8d %6d %5d %5d %6.1f %5.0f %5.1f"
                    + " %s%n",
                t.phase(),
                t.offeredRate(),
                t.achievedRate(),
                l.p50(),
                l.p90(),
                l.p99(),
                l.p999(),
                l.max(),
                t.answered(),
                t.lost(),
                t.duplicates(),
                t.errors(),
                t.meanBatch(),
                t.cpuPercent(),
                t.loadAverage(),
                t.sustained() ? "yes" : "NO"));
      }
      best.forEach(
          (phase, t) ->
              out.append(
                  String.format(
                      Locale.ROOT,
                      "best sustained (%s): %.0f predictions/s, p99 %.2f ms%n",
                      phase,
                      t.achievedRate(),
                      t.latency().p99())));
      Trial idle = best.get("idle");
      Trial training = best.get("training");
      if (idle != null && training != null) {
        out.append(
            String.format(
                Locale.ROOT,
                "training/idle: throughput %.2fx, p99 %.2fx%n",
                training.achievedRate() / idle.achievedRate(),
                training.latency().p99() / Math.max(idle.latency().p99(), 1e-9)));
      }
      return out.toString();
    }
  }

  private PredictionBenchmark() {}

  /** Runs the benchmark described by {@code options}; progress goes to {@code err}. */
  public static Result run(Options options, PrintStream err) throws Exception {
    PredictionRun.preferOneTorchThread();
    Path stateDir = Files.createTempDirectory("streamtrain-bench-predict");
    String scope = "bench-predict-" + UUID.randomUUID();
    try (EmbeddedKafka broker = EmbeddedKafka.start(0, null)) {
      Settings settings = settings(broker, scope, stateDir);
      Pipeline pipeline = new Pipeline(settings);
      try (Admin admin = Admin.create(settings.adminProps())) {
        TopicCatalog.create(admin, pipeline.names(), options.partitions());
      }
      publishInitialSnapshot(settings, pipeline);
      Requests requests = Requests.load(options.dataDir(), pipeline, err);
      err.printf(
          "Embedded Kafka on %s; %d request partitions; requests: %s%n",
          broker.bootstrap(), options.partitions(), requests.source());
      List<PredictionRun> runs = new ArrayList<>();
      try (Bench bench = new Bench(settings, pipeline, requests, options, err, runs)) {
        for (int i = 0; i < options.instances(); i++) {
          PredictionRun.Options runOptions =
              new PredictionRun.Options(
                  options.maxBatch(),
                  options.maxWait(),
                  options.exactlyOnce(),
                  "bench-" + i,
                  options.predictorConfig());
          runs.add(new PredictionRun(pipeline, runOptions).start(Duration.ofSeconds(60)));
        }
        bench.awaitAssigned(Duration.ofSeconds(60));
        bench.startConsumer();
        List<Trial> trials = new ArrayList<>();
        Map<String, Trial> best = new HashMap<>();
        bench.phase("idle", trials, best);
        if (options.train()) {
          try (Trainer trainer = Trainer.start(settings, pipeline, options, err)) {
            bench.phase("training", trials, best);
            trainer.throwIfFailed();
          }
        }
        return new Result(
            options,
            trials,
            best,
            Runtime.getRuntime().availableProcessors(),
            requests.source(),
            ModelSpec.QUICKSTART
                + " freshly initialised (seed "
                + settings.training().seed()
                + ", snapshot version 0)"
                + (options.train()
                    ? "; with --train the trainer's snapshots are hot-swapped in"
                    : ""));
      }
    } finally {
      MockSchemaRegistry.dropScope(scope);
      deleteRecursively(stateDir, err);
    }
  }

  private static Settings settings(EmbeddedKafka broker, String scope, Path stateDir) {
    Map<String, String> flags = new HashMap<>();
    flags.put("bootstrap", broker.bootstrap());
    flags.put("registry", MockSchemaRegistry.URL_PREFIX + scope);
    flags.put("state-dir", stateDir.toString());
    flags.put("model-name", MODEL_NAME);
    flags.put("device", "cpu");
    // With --train: batches of 64 from small shuffle windows, a snapshot every 100 steps (several
    // hot swaps per minute), no test evaluation.
    flags.put("shuffle-window", "1024");
    flags.put("snapshot-every", "100");
    flags.put("evaluate", "false");
    // Serving shares this process with the trainer: predictions must not yield to training steps.
    flags.put("training-first", "false");
    return SettingsLoader.load(null, Map.of(), flags);
  }

  /** A freshly initialised quickstart MLP as version 0, so the predictors have a model to serve. */
  private static void publishInitialSnapshot(Settings settings, Pipeline pipeline) {
    ModelSpec spec = ModelSpec.parse(settings.training().architecture());
    ModelSnapshot snapshot;
    try (Learner learner =
        Learner.create(
            spec, OptimizerConfig.QUICKSTART, settings.training().seed(), Device.cpu())) {
      snapshot = StateDicts.snapshot(learner, settings.modelName()).build();
    }
    Serializer<ModelSnapshot> serializer = pipeline.serde(ModelSnapshot.class).serializer();
    String topic = pipeline.names().modelSnapshots();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(settings.producerProps())) {
      producer
          .send(
              new ProducerRecord<>(
                  topic,
                  settings.modelName().getBytes(StandardCharsets.UTF_8),
                  serializer.serialize(topic, snapshot)))
          .get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(
          "Cannot publish the initial snapshot to " + topic + ": " + Errors.oneLine(e), e);
    }
  }

  /** Serialized request values, sent round-robin; the key (the request id) makes each unique. */
  private record Requests(List<byte[]> values, String source) {
    static Requests load(Path dataDir, Pipeline pipeline, PrintStream err) {
      Serializer<LabeledImage> serializer = pipeline.serde(LabeledImage.class).serializer();
      String topic = pipeline.names().imagesInfer();
      List<byte[]> values = new ArrayList<>();
      String source;
      Optional<LabeledDataset> test = fashionMnistTest(dataDir, err);
      if (test.isPresent()) {
        LabeledDataset dataset = test.get();
        for (int i = 0; i < dataset.count(); i++) {
          LabeledImage image = LabeledImages.fromDataset(dataset, i);
          // A request carries no label; the Avro record is otherwise the test image as produced.
          image.setLabel(null);
          image.setClassName(null);
          values.add(serializer.serialize(topic, image));
        }
        source = "Fashion-MNIST test images (" + dataset.count() + ")";
      } else {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 1000; i++) {
          byte[] pixels = new byte[28 * 28];
          for (int p = 0; p < pixels.length; p++) {
            pixels[p] = (byte) random.nextInt(256);
          }
          LabeledImage image =
              LabeledImage.newBuilder()
                  .setId("generated-" + i)
                  .setHeight(28)
                  .setWidth(28)
                  .setChannels(1)
                  .setEncoding(ImageEncoding.RAW)
                  .setData(ByteBuffer.wrap(pixels))
                  .build();
          values.add(serializer.serialize(topic, image));
        }
        source = "generated 28x28 images (1000; Fashion-MNIST not found)";
      }
      return new Requests(values, source);
    }

    private static Optional<LabeledDataset> fashionMnistTest(Path dataDir, PrintStream err) {
      try {
        Path dir = DatasetLocator.standard().locate(Optional.ofNullable(dataDir)).dir();
        return Optional.of(FashionMnist.load(dir, Split.TEST));
      } catch (RuntimeException e) {
        if (dataDir != null) {
          throw e; // the user named a directory: do not silently measure something else
        }
        err.println("Fashion-MNIST not found (" + Errors.oneLine(e) + "): using generated images");
        return Optional.empty();
      }
    }
  }

  /** The measuring side: load generator, prediction consumer, trials and the rate search. */
  private static final class Bench implements AutoCloseable {
    private final Settings settings;
    private final Pipeline pipeline;
    private final Requests requests;
    private final Options options;
    private final PrintStream err;
    private final List<PredictionRun> runs;
    private final KafkaProducer<byte[], byte[]> producer;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Map<Integer, TrialState> trialsByNumber = new ConcurrentHashMap<>();
    private final AtomicLong strayPredictions = new AtomicLong();
    private final AtomicLong deadLetters = new AtomicLong();
    private final AtomicReference<Throwable> consumerFailure = new AtomicReference<>();
    private final Thread consumerThread;
    private int nextTrial = 1;

    Bench(
        Settings settings,
        Pipeline pipeline,
        Requests requests,
        Options options,
        PrintStream err,
        List<PredictionRun> runs) {
      this.settings = settings;
      this.pipeline = pipeline;
      this.requests = requests;
      this.options = options;
      this.err = err;
      this.runs = runs;
      Properties producerProps = requestProducerProps(settings);
      producerProps.putAll(options.requestConfig());
      this.producer = new KafkaProducer<>(producerProps);
      this.consumer = new KafkaConsumer<>(predictionConsumerProps(settings));
      this.consumerThread = new Thread(this::consume, "bench-prediction-consumer");
      this.consumerThread.setDaemon(true);
    }

    /**
     * Requests as a busy client sends them: acks=all and idempotence (the producer defaults), no
     * compression (raw 28x28 pixels barely compress and the broker is local) and a 1 ms linger.
     * Measured at 6,000 requests/s, linger 1 instead of 0 cut the whole process's CPU from 82 % to
     * 61 % of the machine (fewer, fuller produce requests and fetch responses) for about 1 ms more
     * at low rates; --request-config linger.ms=0 shows the other side.
     */
    private static Properties requestProducerProps(Settings settings) {
      Properties props = settings.producerProps();
      props.put(ProducerConfig.LINGER_MS_CONFIG, "1");
      props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
      props.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(64 * 1024));
      return props;
    }

    private static Properties predictionConsumerProps(Settings settings) {
      Properties props = settings.consumerProps(null);
      props.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, "1");
      props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "50");
      return props;
    }

    void awaitAssigned(Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        int assigned = 0;
        boolean allServing = true;
        for (PredictionRun run : runs) {
          run.throwIfFailed();
          int n = run.assignedPartitions();
          assigned += n;
          allServing &=
              n > 0 && run.streams().state() == org.apache.kafka.streams.KafkaStreams.State.RUNNING;
        }
        if (assigned == options.partitions() && allServing) {
          err.printf(
              "%d prediction instance(s) running, %d partitions assigned%n", runs.size(), assigned);
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "The prediction instances did not get all "
                  + options.partitions()
                  + " request partitions within "
                  + timeout.toSeconds()
                  + " s (assigned: "
                  + assigned
                  + "); with more instances than partitions some stay idle: lower --instances");
        }
        TimeUnit.MILLISECONDS.sleep(100);
      }
    }

    void startConsumer() {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : List.of(pipeline.names().predictions(), pipeline.names().imagesDlq())) {
        consumer
            .partitionsFor(topic, Duration.ofSeconds(30))
            .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
      }
      consumer.assign(partitions);
      consumer.seekToEnd(partitions);
      partitions.forEach(consumer::position); // resolve the end now, before any request is sent
      consumerThread.start();
    }

    private void consume() {
      String predictions = pipeline.names().predictions();
      try {
        while (!Thread.currentThread().isInterrupted()) {
          ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
          long now = System.nanoTime();
          for (ConsumerRecord<byte[], byte[]> r : records) {
            if (!r.topic().equals(predictions)) {
              deadLetters.incrementAndGet();
              continue;
            }
            byte[] key = r.key();
            int dash = key == null ? -1 : indexOf(key, (byte) '-');
            long trialNumber = dash < 1 ? -1 : parse(key, 1, dash);
            long seq = dash < 1 ? -1 : parse(key, dash + 1, key.length);
            TrialState trial = trialNumber < 0 ? null : trialsByNumber.get((int) trialNumber);
            if (trial == null || seq < 0 || !trial.arrived(seq, now)) {
              strayPredictions.incrementAndGet();
            }
          }
        }
      } catch (WakeupException e) {
        // close() stops the consumer
      } catch (RuntimeException e) {
        consumerFailure.set(e);
      }
    }

    private static int indexOf(byte[] bytes, byte b) {
      for (int i = 0; i < bytes.length; i++) {
        if (bytes[i] == b) {
          return i;
        }
      }
      return -1;
    }

    /** Decimal digits in bytes[from, to), or -1 if there are none or another byte. */
    private static long parse(byte[] bytes, int from, int to) {
      if (from >= to) {
        return -1;
      }
      long v = 0;
      for (int i = from; i < to; i++) {
        int d = bytes[i] - '0';
        if (d < 0 || d > 9) {
          return -1;
        }
        v = v * 10 + d;
      }
      return v;
    }

    /**
     * A warm-up, then one fixed-rate trial, or the rate search with {@code findMax}. Each phase
     * warms up: the first lets the JIT settle (on 2 cores C2 compiles broker, Streams and client
     * code for about a minute), the training phase lets the trainer get going.
     */
    void phase(String phase, List<Trial> trials, Map<String, Trial> best) throws Exception {
      if (!options.warmup().isZero()) {
        err.printf(
            Locale.ROOT,
            "Warm-up (%s): %.0f requests/s for %d s%n",
            phase,
            options.rate(),
            options.warmup().toSeconds());
        trial("warm-up", options.rate(), options.warmup());
      }
      if (!options.findMax()) {
        Trial t = trial(phase, options.rate(), options.duration());
        trials.add(t);
        if (t.sustained()) {
          best.put(phase, t);
        }
        return;
      }
      Trial bestTrial = null;
      double rate = options.rate();
      double failed = Double.NaN;
      while (Double.isNaN(failed) && rate <= 1_000_000) {
        Trial t = attempts(phase, rate, trials);
        if (t.sustained()) {
          bestTrial = t;
          rate *= 2;
        } else {
          failed = rate;
        }
      }
      double sustained = bestTrial == null ? 0 : bestTrial.offeredRate();
      // Bisect between the best sustained and the lowest failed rate, to within 10 %.
      while (!Double.isNaN(failed)
          && failed - sustained > Math.max(0.1 * Math.max(sustained, 1), 50)) {
        double mid = Math.round((sustained + failed) / 2 / 50) * 50.0;
        if (mid <= sustained || mid >= failed) {
          break;
        }
        Trial t = attempts(phase, mid, trials);
        if (t.sustained()) {
          bestTrial = t;
          sustained = mid;
        } else {
          failed = mid;
        }
      }
      if (bestTrial != null) {
        best.put(phase, bestTrial);
      }
    }

    /**
     * Up to {@code --attempts} trials at one rate, stopping at the first sustained one: a rate
     * counts as sustained when one attempt kept the bound, so that a burst from another process on
     * a shared machine does not end the search (every attempt is reported).
     */
    private Trial attempts(String phase, double rate, List<Trial> trials) throws Exception {
      Trial t = null;
      for (int attempt = 0; attempt < options.attempts(); attempt++) {
        t = trial(phase, rate, options.duration());
        trials.add(t);
        if (t.sustained()) {
          break;
        }
      }
      return t;
    }

    /** Sends {@code rate * duration} requests on schedule and waits for their predictions. */
    Trial trial(String phase, double rate, Duration duration) throws Exception {
      int number = nextTrial++;
      long count = Math.round(rate * duration.toNanos() / 1e9);
      if (count > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("--rate x --duration is too many requests for one run");
      }
      double intervalNanos = 1e9 / rate;
      long startNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
      long startWallMs = System.currentTimeMillis() + 20;
      TrialState state = new TrialState((int) count, startNanos, intervalNanos);
      trialsByNumber.put(number, state);
      long batchesBefore = batches();
      long requestsBefore = answeredByPredictors();
      long deadBefore = deadLetters.get();
      long strayBefore = strayPredictions.get();
      long cpuBefore = processCpuNanos();
      long versionBefore = minServedVersion();
      long swapsBefore = modelSwaps();
      AtomicLong sendErrors = new AtomicLong();
      String topic = pipeline.names().imagesInfer();
      byte[] prefix = ("t" + number + "-").getBytes(StandardCharsets.US_ASCII);
      List<byte[]> values = requests.values();
      for (int i = 0; i < count; i++) {
        long due = state.due(i);
        long wait = due - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
        byte[] key = key(prefix, i);
        // The record's timestamp is its due time too, so consumers can measure the same way.
        long timestamp = startWallMs + (due - startNanos) / 1_000_000;
        producer.send(
            new ProducerRecord<>(topic, null, timestamp, key, values.get(i % values.size())),
            (metadata, e) -> {
              if (e != null) {
                sendErrors.incrementAndGet();
              }
            });
      }
      long sendEnd = System.nanoTime();
      producer.flush();
      long drainDeadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
      while (state.distinct() < count - sendErrors.get() && System.nanoTime() < drainDeadline) {
        for (PredictionRun run : runs) {
          run.throwIfFailed();
        }
        if (consumerFailure.get() != null) {
          throw new IllegalStateException(
              "The benchmark's prediction consumer failed: "
                  + Errors.oneLine(consumerFailure.get()),
              consumerFailure.get());
        }
        TimeUnit.MILLISECONDS.sleep(10);
      }
      // Late duplicates of the last requests arrive within a poll or two.
      TimeUnit.MILLISECONDS.sleep(200);
      Trial result;
      synchronized (state) {
        long distinct = state.distinct();
        long lost = count - distinct;
        double seconds = Math.max(state.lastArrival - startNanos, 1) / 1e9;
        long batches = batches() - batchesBefore;
        long answered = answeredByPredictors() - requestsBefore;
        long errors =
            sendErrors.get()
                + (deadLetters.get() - deadBefore)
                + (strayPredictions.get() - strayBefore);
        Latency latency = Latency.of(state.histogram);
        double cpu =
            100.0
                * (processCpuNanos() - cpuBefore)
                / Math.max(System.nanoTime() - startNanos, 1)
                / Runtime.getRuntime().availableProcessors();
        boolean sustained =
            lost == 0 && errors == 0 && latency.p99() <= options.p99TargetMs() && distinct > 0;
        result =
            new Trial(
                phase,
                rate,
                count / Math.max((sendEnd - startNanos) / 1e9, 1e-9),
                distinct / seconds,
                seconds,
                count,
                distinct,
                lost,
                state.duplicates,
                errors,
                latency,
                batches == 0 ? 0 : (double) answered / batches,
                largestBatch(),
                versionBefore,
                maxServedVersion(),
                modelSwaps() - swapsBefore,
                cpu,
                loadAverage(),
                sustained);
      }
      // Kept registered: a prediction arriving after the drain still counts for its own trial.
      if (!phase.equals("warm-up")) {
        err.printf(
            Locale.ROOT,
            "%-8s %7.0f req/s: achieved %7.0f/s, p50 %6.2f ms, p99 %7.2f ms, max %7.2f ms,"
                + " lost %d, dup %d, errors %d, mean batch %.1f, cpu %.0f%%, load %.1f%s%n",
            phase,
            rate,
            result.achievedRate(),
            result.latency().p50(),
            result.latency().p99(),
            result.latency().max(),
            result.lost(),
            result.duplicates(),
            result.errors(),
            result.meanBatch(),
            result.cpuPercent(),
            result.loadAverage(),
            result.sustained() ? "" : "  (not sustained)");
      }
      return result;
    }

    private static byte[] key(byte[] prefix, int seq) {
      String digits = Integer.toString(seq);
      byte[] key = new byte[prefix.length + digits.length()];
      System.arraycopy(prefix, 0, key, 0, prefix.length);
      for (int i = 0; i < digits.length(); i++) {
        key[prefix.length + i] = (byte) digits.charAt(i);
      }
      return key;
    }

    private long batches() {
      return runs.stream().mapToLong(r -> r.stats().batches()).sum();
    }

    private long answeredByPredictors() {
      return runs.stream().mapToLong(r -> r.stats().requests()).sum();
    }

    private long largestBatch() {
      return runs.stream().mapToLong(r -> r.stats().largestBatch()).max().orElse(0);
    }

    private long minServedVersion() {
      return runs.stream().mapToLong(r -> r.stats().servedVersion()).min().orElse(-1);
    }

    private long modelSwaps() {
      return runs.stream().mapToLong(PredictionRun::modelSwaps).sum();
    }

    private long maxServedVersion() {
      return runs.stream().mapToLong(r -> r.stats().servedVersion()).max().orElse(-1);
    }

    @Override
    public void close() {
      consumer.wakeup();
      try {
        consumerThread.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (!consumerThread.isAlive()) {
        consumer.close(Duration.ofSeconds(5));
      }
      producer.close(Duration.ofSeconds(5));
      RuntimeException first = null;
      for (PredictionRun run : runs) {
        try {
          run.close();
        } catch (RuntimeException e) {
          first = first == null ? e : first;
        }
      }
      if (first != null) {
        throw first;
      }
    }
  }

  /**
   * The schedule, answer counts and latencies of one trial; the consumer thread records answers.
   * Request i is due at {@code startNanos + i * intervalNanos}, sent or not.
   */
  private static final class TrialState {
    final long startNanos;
    final double intervalNanos;
    final byte[] answers;
    final Histogram histogram = new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
    private long distinct;
    long duplicates;
    long lastArrival;

    TrialState(int count, long startNanos, double intervalNanos) {
      this.startNanos = startNanos;
      this.intervalNanos = intervalNanos;
      this.answers = new byte[count];
    }

    long due(long seq) {
      return startNanos + (long) (seq * intervalNanos);
    }

    /** Records one answer; false if the id is not one of this trial's requests. */
    synchronized boolean arrived(long seq, long nowNanos) {
      if (seq >= answers.length) {
        return false;
      }
      int i = (int) seq;
      if (answers[i] != 0) {
        duplicates++;
        return true;
      }
      answers[i] = 1;
      distinct++;
      lastArrival = Math.max(lastArrival, nowNanos);
      long micros = (nowNanos - due(seq)) / 1000;
      histogram.recordValue(Math.max(0, Math.min(micros, histogram.getHighestTrackableValue())));
      return true;
    }

    synchronized long distinct() {
      return distinct;
    }
  }

  /** A real trainer in this process: TrainingRun on a replayed Fashion-MNIST training subset. */
  private static final class Trainer implements AutoCloseable {
    private final Replayer replayer;
    // The feed stays at most two epochs ahead of the trainer.
    private final Semaphore epochsAhead = new Semaphore(2);
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final TrainingRun run;
    private final Thread replay = new Thread(this::replayEpochs, "bench-replay");

    private Trainer(Settings settings, Pipeline pipeline) {
      replayer = pipeline.replayer();
      TrainingListener listener =
          new TrainingListener() {
            @Override
            public void onEpochEnd(
                int epoch, io.streamtrain.model.Evaluation evaluation, ModelSnapshot snapshot) {
              epochsAhead.release();
            }
          };
      run = new TrainingRun(pipeline, false, listener);
    }

    static Trainer start(Settings settings, Pipeline pipeline, Options options, PrintStream err) {
      Path dir = DatasetLocator.standard().locate(Optional.ofNullable(options.dataDir())).dir();
      LabeledDataset train = FashionMnist.load(dir, Split.TRAIN);
      int count = Math.min(options.trainImages(), train.count());
      Publisher.publish(
          settings,
          pipeline.names().imagesTrain(),
          pipeline.serde(LabeledImage.class).serializer(),
          IntStream.range(0, count).mapToObj(i -> LabeledImages.fromDataset(train, i)).iterator(),
          done -> {});
      Trainer trainer = new Trainer(settings, pipeline);
      trainer.run.start();
      trainer.replay.setDaemon(true);
      trainer.replay.start();
      err.printf(
          "Trainer running on %,d Fashion-MNIST training images (replayed epoch after epoch,"
              + " a snapshot every %d steps)%n",
          count, settings.training().snapshotEverySteps());
      return trainer;
    }

    private void replayEpochs() {
      try {
        for (int epoch = 1; !stop.get(); epoch++) {
          while (!epochsAhead.tryAcquire(100, TimeUnit.MILLISECONDS)) {
            if (stop.get()) {
              return;
            }
          }
          replayer.replay(epoch, 1, Replayer.Progress.NONE);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        failure.set(e);
      }
    }

    void throwIfFailed() {
      run.throwIfFailed();
      if (failure.get() != null) {
        throw new IllegalStateException(
            "The benchmark's replay failed: " + Errors.oneLine(failure.get()), failure.get());
      }
    }

    @Override
    public void close() {
      stop.set(true);
      try {
        replay.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      run.close();
    }
  }

  private static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return 0;
  }

  private static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  private static void deleteRecursively(Path dir, PrintStream err) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // A leftover temporary directory is not worth failing a finished benchmark for.
      err.println("Could not delete " + dir + ": " + Errors.oneLine(e));
    }
  }
}
