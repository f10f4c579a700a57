package io.streamtrain.cli;

import io.streamtrain.app.Pipeline;
import io.streamtrain.app.Progress;
import io.streamtrain.app.QuickstartPrinter;
import io.streamtrain.app.TrainingRun;
import io.streamtrain.bench.ForkedJvm;
import io.streamtrain.bench.LiveBenchmark;
import io.streamtrain.bench.PredictionBenchmark;
import io.streamtrain.config.Directories;
import io.streamtrain.config.Settings;
import io.streamtrain.config.SettingsLoader;
import io.streamtrain.config.Training;
import io.streamtrain.data.DatasetLocator;
import io.streamtrain.data.FashionMnist;
import io.streamtrain.data.ImageTensors;
import io.streamtrain.data.LabeledDataset;
import io.streamtrain.data.LabeledImages;
import io.streamtrain.data.Split;
import io.streamtrain.kafka.EmbeddedKafka;
import io.streamtrain.kafka.Publisher;
import io.streamtrain.kafka.Replayer;
import io.streamtrain.kafka.TopicCatalog;
import io.streamtrain.model.Devices;
import io.streamtrain.model.Evaluation;
import io.streamtrain.model.Learner;
import io.streamtrain.model.Learners;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.training.MiniBatcher;
import io.streamtrain.training.TrainingListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Training throughput, side by side in one process with the same model, batch size, thread"
          + " settings and data: (a) a plain in-memory DJL loop over the decoded dataset, (b) the"
          + " full pipeline (replay -> Kafka -> MiniBatcher -> Trainer) on an embedded broker,"
          + " timed between two runs of (a) and compared with both."
          + " Prints images/s of both and their ratio, steps/s, snapshot size and publish time,"
          + " and the trainer's resident memory after each epoch."
    },
    footer = {
      "",
      "Examples:",
      "  streamtrain bench                     # one epoch of Fashion-MNIST",
      "  streamtrain bench --epochs 5 --json",
      "  streamtrain bench --predict --rate 500 --duration 30     # serving latency, training idle",
      "  streamtrain bench --predict --find-max --train           # top rate with p99 < 50 ms",
      "  streamtrain bench --predict --rate 5000 --instances 2"
    })
final class BenchCommand implements Callable<Integer> {
  @Mixin TrainingOptions trainingOptions;

  @Option(names = "--epochs", description = "Epochs per side (default 1).")
  int epochs = 1;

  @Option(
      names = "--warmup-epochs",
      paramLabel = "N",
      description =
          "Epochs the pipeline trains before its clock starts (default ${DEFAULT-VALUE}), as the"
              + " in-memory side has its warm-up steps.")
  int warmUpEpochs = 3;

  @Option(
      names = "--fork",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "Run in a child JVM whose heap is fixed and touched up front (--heap), as JMH forks its"
              + " benchmarks; --no-fork runs in this JVM, with the options it was started with"
              + " (default: fork; --predict always runs in this JVM).")
  boolean fork;

  @Option(
      names = "--heap",
      paramLabel = "SIZE",
      description =
          "Heap of the forked JVM: -Xms and -Xmx, with -XX:+AlwaysPreTouch (default"
              + " ${DEFAULT-VALUE}).")
  String heap = "2g";

  @Spec CommandSpec spec;

  @Option(
      names = "--predict",
      description =
          "Prediction serving instead: an open-loop load on images.infer, produce-to-prediction"
              + " latency percentiles (HdrHistogram), throughput, lost and duplicated requests.")
  boolean predict;

  @Mixin PredictionBenchmark.Flags predictFlags;

  @Option(
      names = "--live",
      description =
          "Online learning instead: an open-loop producer of labeled events at --rate (default"
              + " 1000/s) for --duration s into images.train, the trainer following, a predictor"
              + " swapping versions; freshness (event produced to a version that learned it served)"
              + " percentiles, lost events, prequential accuracy. With --find-max: the highest rate"
              + " whose p99 stays under --p99-target-ms (default 5000 here).")
  boolean live;

  @Option(
      names = "--limit",
      paramLabel = "N",
      description = "Use only the first N training images.")
  Integer limit;

  @Option(names = "--json", description = "Print the results as JSON on stdout.")
  boolean json;

  @Option(names = "--data", paramLabel = "DIR", description = "Fashion-MNIST directory.")
  Path data;

  @Override
  public Integer call() throws Exception {
    if (live) {
      var results =
          LiveBenchmark.run(
              predictFlags.toLiveOptions(
                  data,
                  trainingOptions.flags(),
                  spec.commandLine().getParseResult().hasMatchedOption("--p99-target-ms")),
              System.err);
      for (var r : results) {
        System.out.println(json ? LiveBenchmark.json(r) : LiveBenchmark.line(r));
      }
      return 0;
    }
    if (predict) {
      PredictionBenchmark.Result result =
          PredictionBenchmark.run(predictFlags.toOptions(data), System.err);
      System.out.println(json ? result.toJson() : result.toTable());
      return 0;
    }
    if (epochs < 1) {
      throw new IllegalArgumentException("--epochs must be at least 1 (got " + epochs + ")");
    }
    if (warmUpEpochs < 0) {
      throw new IllegalArgumentException(
          "--warmup-epochs must be 0 or more (got " + warmUpEpochs + ")");
    }
    if (!heap.matches("[1-9][0-9]*[kKmMgG]?")) {
      throw new IllegalArgumentException(
          "--heap takes a size such as 2g or 1536m (got " + heap + ")");
    }
    if (fork && !ForkedJvm.isChild()) {
      // The resident memory after each epoch is then the trainer's, not G1's heap sizing: with
      // the default heap, G1 grew it in some runs during the measured epochs, and the first touch
      // of the new regions added up to 1.2 GB (see README, Benchmarks).
      return ForkedJvm.run(
          List.of("-Xms" + heap, "-Xmx" + heap, "-XX:+AlwaysPreTouch"),
          spec.commandLine().getParseResult().originalArgs());
    }
    Path dir = DatasetLocator.standard().locate(Optional.ofNullable(data)).dir();
    LabeledDataset train = FashionMnist.load(dir, Split.TRAIN);
    int count = limit == null ? train.count() : Math.min(limit, train.count());
    Map<String, String> flags = new HashMap<>(trainingOptions.flags());
    flags.put("evaluate", "false");
    Path stateDir = Files.createTempDirectory("streamtrain-bench-state");
    try (EmbeddedKafka broker = EmbeddedKafka.start(0, null)) {
      flags.put("bootstrap", broker.bootstrap());
      flags.put("registry", "mock://bench-" + UUID.randomUUID());
      flags.put("state-dir", stateDir.toString());
      Settings settings = SettingsLoader.load(null, Map.of(), flags);
      Training training = settings.training();
      System.err.printf(
          Locale.ROOT,
          "bench: %s, %s lr=%s, batch %d, %,d images x %d epoch(s), device %s, %d cores%n",
          training.architecture(),
          training.optimizer(),
          training.learningRate(),
          training.batchSize(),
          count,
          epochs,
          Devices.select(training.device()),
          Runtime.getRuntime().availableProcessors());

      warmUp(training, train);
      // In-memory, pipeline, in-memory again: the machine's speed drifts (a shared VM ran 2.5 to
      // 4.1 s per in-memory epoch within minutes), and the pipeline is compared with both.
      Side before = inMemoryLoop(training, train, count, "in-memory DJL loop, before");
      Side pipeline = pipelineRun(settings, train, count);
      Side after = inMemoryLoop(training, train, count, "in-memory DJL loop, after");
      print(before, pipeline, after);
    } finally {
      Directories.deleteQuietly(stateDir);
    }
    return 0;
  }

  /** One side's figures. */
  record Side(
      String name,
      long images,
      long steps,
      double seconds,
      List<Long> rssAfterEpochBytes,
      List<Double> epochSeconds,
      long snapshotBytes,
      double snapshotPublishMillis,
      double startupSeconds) {
    double imagesPerSecond() {
      return images / seconds;
    }

    double stepsPerSecond() {
      return steps / seconds;
    }

    /** Two runs of one side as one: their images over their seconds, epoch times averaged. */
    static Side together(String name, Side a, Side b) {
      List<Double> epochSeconds = new ArrayList<>();
      for (int i = 0; i < a.epochSeconds().size(); i++) {
        epochSeconds.add((a.epochSeconds().get(i) + b.epochSeconds().get(i)) / 2);
      }
      return new Side(
          name,
          a.images() + b.images(),
          a.steps() + b.steps(),
          a.seconds() + b.seconds(),
          a.rssAfterEpochBytes(),
          epochSeconds,
          0,
          0,
          0);
    }

    /** Seconds for epochs 2..N: the steady state, after the first epoch's fill and replay burst. */
    double secondsAfterFirstEpoch() {
      return epochSeconds.stream().skip(1).mapToDouble(Double::doubleValue).sum();
    }
  }

  /** JIT and native warm-up so neither side pays for it. */
  private static void warmUp(Training training, LabeledDataset train) {
    try (Learner learner = Learners.create(training)) {
      float[] x = new float[training.batchSize() * train.imageSize()];
      int[] y = new int[training.batchSize()];
      for (int step = 0; step < 50; step++) {
        fill(train, step * training.batchSize(), training.batchSize(), x, y, null);
        learner.step(x, y, training.batchSize());
      }
    }
  }

  private Side inMemoryLoop(Training training, LabeledDataset train, int count, String name) {
    List<Long> rss = new ArrayList<>();
    List<Double> epochSeconds = new ArrayList<>();
    long steps = 0;
    int batch = training.batchSize();
    float[] x = new float[batch * train.imageSize()];
    int[] y = new int[batch];
    long start;
    long end;
    try (Learner learner = Learners.create(training)) {
      start = System.nanoTime(); // the pipeline's model is created before its clock too
      for (int epoch = 1; epoch <= epochs; epoch++) {
        long epochStart = System.nanoTime();
        int[] order =
            MiniBatcher.permutation(count, new SplittableRandom(training.seed() * 31 + epoch));
        Progress progress = new Progress(System.err, "in-memory epoch " + epoch, count);
        for (int from = 0; from < count; from += batch) {
          int n = Math.min(batch, count - from);
          fill(train, from, n, x, y, order);
          learner.step(x, y, n);
          steps++;
          progress.update(from + n);
        }
        epochSeconds.add((System.nanoTime() - epochStart) / 1e9);
        rss.add(residentBytes());
      }
      end = System.nanoTime();
    }
    double seconds = (end - start) / 1e9;
    return new Side(name, (long) count * epochs, steps, seconds, rss, epochSeconds, 0, 0, 0);
  }

  private Side pipelineRun(Settings settings, LabeledDataset train, int count) throws Exception {
    Pipeline pipeline = new Pipeline(settings);
    try (Admin admin = Admin.create(settings.adminProps())) {
      TopicCatalog.create(admin, pipeline.names());
    }
    Publisher.publish(
        settings,
        pipeline.names().imagesTrain(),
        pipeline.serde(LabeledImage.class).serializer(),
        IntStream.range(0, count).mapToObj(i -> LabeledImages.fromDataset(train, i)).iterator(),
        done -> {});
    QuickstartPrinter printer =
        new QuickstartPrinter(
            new java.io.PrintStream(java.io.OutputStream.nullOutputStream()), count);
    Replayer replayer = pipeline.replayer();
    int measuredLast = warmUpEpochs + epochs;
    // The feed stays one epoch ahead of training, as for a trainer that is fed continuously: the
    // replay of epoch k + 2 starts when epoch k ends, up to one epoch past the last measured one.
    // So each measured epoch has one epoch's replay and one window's fill running beside its
    // steps, and after warm-up epochs the clock measures that steady state, not a cold start.
    int replayLast = measuredLast + 1;
    ExecutorService replays =
        Executors.newSingleThreadExecutor(r -> new Thread(r, "streamtrain-bench-replay"));
    AtomicReference<RuntimeException> replayFailed = new AtomicReference<>();
    IntConsumer replay =
        epoch ->
            replays.execute(
                () -> {
                  try {
                    replayer.replay(epoch, 1, Replayer.Progress.NONE);
                  } catch (RuntimeException e) {
                    replayFailed.compareAndSet(null, e);
                  }
                });
    Map<Integer, Long> rssAfterEpoch = new ConcurrentHashMap<>();
    Map<Integer, Long> versionAfterEpoch = new ConcurrentHashMap<>();
    Map<Integer, Long> epochEndNanos = new ConcurrentHashMap<>();
    CountDownLatch started = new CountDownLatch(1);
    long launched = System.nanoTime();
    TrainingListener listener =
        new TrainingListener() {
          @Override
          public void onStart(ModelSnapshot snapshot) {
            started.countDown();
          }

          @Override
          public void onEpochEnd(int epoch, Evaluation evaluation, ModelSnapshot snapshot) {
            rssAfterEpoch.put(epoch, residentBytes());
            versionAfterEpoch.put(epoch, snapshot.getVersion());
            epochEndNanos.put(epoch, System.nanoTime());
            if (epoch + 2 <= replayLast) {
              replay.accept(epoch + 2);
            }
            printer.onEpochEnd(epoch, evaluation, snapshot);
            System.err.printf(
                Locale.ROOT,
                "pipeline: epoch %d done (version %d) at %.2f s%n",
                epoch,
                snapshot.getVersion(),
                (System.nanoTime() - launched) / 1e9);
          }
        };
    long start;
    double startupSeconds;
    try (TrainingRun run = new TrainingRun(pipeline, true, listener).start()) {
      // A trainer is a long-running service: its one-off start-up (group join, task and store
      // set-up, model creation) is reported apart, and the clock starts when it can take records.
      while (!started.await(1, TimeUnit.SECONDS)) {
        run.throwIfFailed();
      }
      startupSeconds = (System.nanoTime() - launched) / 1e9;
      // Warm-up, as the in-memory side has its warm-up steps: epochs through the same running
      // pipeline compile the broker's, the clients' and Kafka Streams' hot paths before timing.
      // With one, the C2 compiler still used 4.0-4.4 s of CPU during 5 measured epochs; with
      // three 2.1-2.7 s, and six did no better. Without any, the clock starts at the replay.
      long replayStart = System.nanoTime();
      replay.accept(1);
      replay.accept(2);
      Runnable replaysOk =
          () -> {
            RuntimeException failure = replayFailed.get();
            if (failure != null) {
              throw failure;
            }
          };
      for (int epoch = 1; epoch <= measuredLast; epoch++) {
        run.awaitEpoch(printer, epoch, replaysOk);
      }
      start = warmUpEpochs > 0 ? epochEndNanos.get(warmUpEpochs) : replayStart;
    } finally {
      replays.shutdown(); // the replay past the last measured epoch ends on its own
      if (!replays.awaitTermination(60, TimeUnit.SECONDS)) {
        replays.shutdownNow();
      }
    }
    // To the last step (the last epoch's end), not to the end of shutting the trainer down.
    double seconds = (epochEndNanos.get(measuredLast) - start) / 1e9;
    List<Double> epochSeconds = new ArrayList<>();
    List<Long> rss = new ArrayList<>();
    long previous = start;
    for (int epoch = warmUpEpochs + 1; epoch <= measuredLast; epoch++) {
      long end = epochEndNanos.get(epoch);
      epochSeconds.add((end - previous) / 1e9);
      previous = end;
      rss.add(rssAfterEpoch.get(epoch));
    }
    long steps =
        versionAfterEpoch.get(measuredLast)
            - (warmUpEpochs > 0 ? versionAfterEpoch.get(warmUpEpochs) : 0);
    ModelSnapshot last = pipeline.latestSnapshot().orElseThrow();
    byte[] bytes =
        pipeline
            .serde(ModelSnapshot.class)
            .serializer()
            .serialize(pipeline.names().modelSnapshots(), last);
    double publishMillis = publishMillis(settings, pipeline.names().modelSnapshots(), bytes);
    return new Side(
        "pipeline (replay -> Kafka -> MiniBatcher -> Trainer)",
        (long) count * epochs,
        steps,
        seconds,
        rss,
        epochSeconds,
        bytes.length,
        publishMillis,
        startupSeconds);
  }

  /** Median time of five acknowledged sends of a snapshot-sized record. */
  private static double publishMillis(Settings settings, String topic, byte[] value)
      throws Exception {
    List<Double> times = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(settings.producerProps())) {
      byte[] key = "bench-snapshot".getBytes(java.nio.charset.StandardCharsets.UTF_8);
      for (int i = 0; i < 5; i++) {
        long t = System.nanoTime();
        producer.send(new ProducerRecord<>(topic, key, value)).get();
        times.add((System.nanoTime() - t) / 1e6);
      }
    }
    times.sort(null);
    return times.get(2);
  }

  private void print(Side before, Side pipeline, Side after) {
    Side memory = Side.together("in-memory DJL loop, both runs", before, after);
    double ratio = pipeline.imagesPerSecond() / memory.imagesPerSecond();
    System.out.printf(
        Locale.ROOT, "%-55s %12s %10s %10s%n", "side", "images/s", "steps/s", "seconds");
    for (Side s : List.of(before, pipeline, after)) {
      System.out.printf(
          Locale.ROOT,
          "%-55s %,12.0f %10.1f %10.2f%n",
          s.name(),
          s.imagesPerSecond(),
          s.stepsPerSecond(),
          s.seconds());
    }
    System.out.printf(
        Locale.ROOT,
        "pipeline / in-memory images/s: %.3f (the in-memory loop's runs before and after"
            + " together; %.3f and %.3f against each alone)%n",
        ratio,
        pipeline.imagesPerSecond() / before.imagesPerSecond(),
        pipeline.imagesPerSecond() / after.imagesPerSecond());
    System.out.println(
        "seconds per epoch: in-memory before "
            + seconds(before.epochSeconds())
            + ", after "
            + seconds(after.epochSeconds())
            + ", pipeline "
            + seconds(pipeline.epochSeconds()));
    if (epochs > 1) {
      System.out.printf(
          Locale.ROOT,
          "after the first epoch (epochs 2-%d): pipeline / in-memory images/s: %.3f%n",
          epochs,
          memory.secondsAfterFirstEpoch() / pipeline.secondsAfterFirstEpoch());
    }
    System.out.printf(
        Locale.ROOT,
        warmUpEpochs > 0
            ? "pipeline clock: from the end of warm-up epoch %d to the last step, the feed one"
                + " epoch ahead; trainer start-up %.2f s, not counted%n"
            : "pipeline clock: from the first replay's start (cold, %d warm-up epochs) to the"
                + " last step; trainer start-up %.2f s, not counted%n",
        warmUpEpochs,
        pipeline.startupSeconds());
    System.out.printf(
        Locale.ROOT,
        "jvm: heap %,d MB, %s%n",
        Runtime.getRuntime().maxMemory() >> 20,
        ForkedJvm.isChild()
            ? "fixed and touched up front (forked with -Xms" + heap + " -Xmx" + heap + ")"
            : "this JVM's own options (--no-fork)");
    System.out.printf(
        Locale.ROOT,
        "snapshot: %,d bytes, publish (acks=all) %.1f ms%n",
        pipeline.snapshotBytes(),
        pipeline.snapshotPublishMillis());
    System.out.println(
        "resident memory after each epoch (MB): in-memory (before) "
            + mb(memory.rssAfterEpochBytes())
            + ", pipeline "
            + mb(pipeline.rssAfterEpochBytes()));
    List<Long> r = pipeline.rssAfterEpochBytes();
    if (r.size() > 1) {
      System.out.printf(
          Locale.ROOT,
          "pipeline RSS last/first epoch: %.3f%n",
          (double) r.get(r.size() - 1) / r.get(0));
    }
    if (json) {
      System.out.printf(
          Locale.ROOT,
          "{\"inMemoryImagesPerSecond\":%.1f,\"pipelineImagesPerSecond\":%.1f,\"ratio\":%.4f,"
              + "\"inMemoryStepsPerSecond\":%.2f,\"pipelineStepsPerSecond\":%.2f,\"snapshotBytes\":%d,"
              + "\"snapshotPublishMillis\":%.2f,\"pipelineRssBytes\":%s,\"inMemoryRssBytes\":%s,"
              + "\"trainerStartupSeconds\":%.3f,\"warmupEpochs\":%d,\"forked\":%b,\"heapMaxBytes\":%d,\"inMemoryEpochSeconds\":%s,"
              + "\"pipelineEpochSeconds\":%s,\"inMemoryBeforeImagesPerSecond\":%.1f,"
              + "\"inMemoryAfterImagesPerSecond\":%.1f}%n",
          memory.imagesPerSecond(),
          pipeline.imagesPerSecond(),
          ratio,
          memory.stepsPerSecond(),
          pipeline.stepsPerSecond(),
          pipeline.snapshotBytes(),
          pipeline.snapshotPublishMillis(),
          pipeline.rssAfterEpochBytes(),
          memory.rssAfterEpochBytes(),
          pipeline.startupSeconds(),
          warmUpEpochs,
          ForkedJvm.isChild(),
          Runtime.getRuntime().maxMemory(),
          seconds(memory.epochSeconds()),
          seconds(pipeline.epochSeconds()),
          before.imagesPerSecond(),
          after.imagesPerSecond());
    }
  }

  private static String seconds(List<Double> values) {
    return values.stream().map(v -> String.format(Locale.ROOT, "%.2f", v)).toList().toString();
  }

  private static String mb(List<Long> bytes) {
    return bytes.stream().map(b -> String.valueOf(b / 1_000_000)).toList().toString();
  }

  /** Decodes examples [from, from+n) of the (optionally permuted) dataset into x and y. */
  private static void fill(LabeledDataset data, int from, int n, float[] x, int[] y, int[] order) {
    int size = data.imageSize();
    for (int i = 0; i < n; i++) {
      int index = order == null ? (from + i) % data.count() : order[from + i];
      ImageTensors.toTensor(
          data.pixels(), data.imageOffset(index), data.rows(), data.cols(), 1, x, i * size);
      y[i] = data.label(index);
    }
  }

  /** Resident set size of this process, from /proc (0 where there is none). */
  static long residentBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return 0;
    }
    return 0;
  }
}
