package io.streamtrain.bench;

import io.streamtrain.app.DatasetPublisher;
import io.streamtrain.app.Pipeline;
import io.streamtrain.app.QuickstartPrinter;
import io.streamtrain.app.TrainingRun;
import io.streamtrain.config.Settings;
import io.streamtrain.data.LabeledDataset;
import io.streamtrain.kafka.Replayer;
import io.streamtrain.metrics.TrainingListener;
import io.streamtrain.model.Evaluation;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.snapshots.SnapshotChunks;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;
import java.util.function.Predicate;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The training benchmark's pipeline side: the dataset published to images.train, replayed epoch by
 * epoch into the feed and trained by the TrainingRun of {@code train}, after warm-up epochs.
 */
final class PipelineSide {
  private final Pipeline pipeline;
  private final int epochs;
  private final int warmUpEpochs;

  PipelineSide(Pipeline pipeline, int epochs, int warmUpEpochs) {
    this.pipeline = pipeline;
    this.epochs = epochs;
    this.warmUpEpochs = warmUpEpochs;
  }

  /** Publishes the first {@code count} images of {@code train}, then trains and measures. */
  TrainingSide run(LabeledDataset train, int count) throws Exception {
    Settings settings = pipeline.settings();
    DatasetPublisher.publish(pipeline, pipeline.names().imagesTrain(), train, count, done -> {});
    QuickstartPrinter printer =
        new QuickstartPrinter(new PrintStream(OutputStream.nullOutputStream()), count);
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
    Map<Integer, ThreadCosts> costsAfterEpoch = new ConcurrentHashMap<>();
    // The trainer's own threads: its stream threads with their clients, and the training thread.
    String appId = pipeline.trainerApplicationId();
    Predicate<String> stepping = name -> name.startsWith("streamtrain-steps-");
    Predicate<String> trainerThreads = stepping.or(name -> name.contains(appId));
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
            rssAfterEpoch.put(epoch, ResidentMemory.bytes());
            versionAfterEpoch.put(epoch, snapshot.getVersion());
            epochEndNanos.put(epoch, System.nanoTime());
            costsAfterEpoch.put(epoch, ThreadCosts.sample(trainerThreads, stepping));
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
    ThreadCosts costsAtStart;
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
      // Without any, the clock starts at the replay.
      long replayStart = System.nanoTime();
      ThreadCosts costsAtReplay = ThreadCosts.sample(trainerThreads, stepping);
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
      costsAtStart = warmUpEpochs > 0 ? costsAfterEpoch.get(warmUpEpochs) : costsAtReplay;
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
    long snapshotBytes;
    double publishMillis;
    if (SnapshotChunks.needsChunks(last)) {
      snapshotBytes = SnapshotChunks.payloadBytes(last);
      publishMillis = publishChunkedMillis(pipeline, last);
    } else {
      byte[] bytes =
          pipeline
              .serde(ModelSnapshot.class)
              .serializer()
              .serialize(pipeline.names().modelSnapshots(), last);
      snapshotBytes = bytes.length;
      publishMillis = publishMillis(settings, pipeline.names().modelSnapshots(), bytes);
    }
    return new TrainingSide(
        "pipeline (replay -> Kafka -> MiniBatcher -> Trainer)",
        (long) count * epochs,
        steps,
        seconds,
        rss,
        epochSeconds,
        snapshotBytes,
        publishMillis,
        startupSeconds,
        costsAfterEpoch.get(measuredLast).since(costsAtStart));
  }

  /** Median time of three committed publications of a chunked snapshot, encoding included. */
  private static double publishChunkedMillis(Pipeline pipeline, ModelSnapshot snapshot) {
    ModelSnapshot copy = ModelSnapshot.newBuilder(snapshot).setModelName("bench-snapshot").build();
    List<Double> times = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      long t = System.nanoTime();
      pipeline.publishSnapshot(copy);
      times.add((System.nanoTime() - t) / 1e6);
    }
    times.sort(null);
    return times.get(1);
  }

  /** Median time of five acknowledged sends of a snapshot-sized record. */
  private static double publishMillis(Settings settings, String topic, byte[] value)
      throws Exception {
    List<Double> times = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(settings.producerProps())) {
      byte[] key = "bench-snapshot".getBytes(StandardCharsets.UTF_8);
      for (int i = 0; i < 5; i++) {
        long t = System.nanoTime();
        producer.send(new ProducerRecord<>(topic, key, value)).get();
        times.add((System.nanoTime() - t) / 1e6);
      }
    }
    times.sort(null);
    return times.get(2);
  }
}
