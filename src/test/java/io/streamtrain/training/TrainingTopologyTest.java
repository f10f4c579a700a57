package io.streamtrain.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.config.LiveWindows;
import io.streamtrain.config.Training;
import io.streamtrain.data.ImageShape;
import io.streamtrain.kafka.FeedHeaders;
import io.streamtrain.metrics.TrainingListener;
import io.streamtrain.records.LabeledImageDecoder;
import io.streamtrain.records.Topic;
import io.streamtrain.registry.AvroSerde;
import io.streamtrain.registry.MockSchemaRegistry;
import io.streamtrain.schema.ImageEncoding;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.MetricKind;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.TrainingMetric;
import io.streamtrain.snapshots.SnapshotMetrics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training topology under TopologyTestDriver with real DJL training on a small model. */
class TrainingTopologyTest {
  private static final ImageShape SHAPE = new ImageShape(4, 4, 1);
  private final String scope = "topology-test-" + UUID.randomUUID();
  private final MockSchemaRegistry registry = MockSchemaRegistry.forScope(scope);
  @TempDir Path stateDir;

  @AfterEach
  void dropScope() {
    MockSchemaRegistry.dropScope(scope);
  }

  private Training training() {
    return Training.builder()
        .architecture("mlp:16-8-2")
        .seed(7)
        .batches(8, 64)
        .optimizer("sgd", 0.5, 0, 0)
        .device("cpu")
        .snapshots(0, 0)
        .metricsEvery(2)
        .maxBadSteps(5)
        .trainingFirst(false)
        .build();
  }

  /** Two classes: bright top half (label 0) or bright bottom half (label 1). */
  private static LabeledImage image(int i, Random random) {
    int label = i % 2;
    byte[] pixels = new byte[16];
    for (int p = 0; p < 16; p++) {
      boolean top = p < 8;
      int base = (top == (label == 0)) ? 200 : 20;
      pixels[p] = (byte) (base + random.nextInt(30));
    }
    return LabeledImage.newBuilder()
        .setId("img-" + i)
        .setHeight(4)
        .setWidth(4)
        .setChannels(1)
        .setEncoding(ImageEncoding.RAW)
        .setData(ByteBuffer.wrap(pixels))
        .setLabel(label)
        .build();
  }

  /** What was piped into the feed, for the batcher to read windows back from. */
  private final FeedLog log = new FeedLog();

  private TopologyTestDriver driver(TrainerDependencies deps) {
    return driver(deps, false);
  }

  private TopologyTestDriver driver(TrainerDependencies deps, boolean trainInBackground) {
    return driver(deps, trainInBackground, training(), null);
  }

  /** Live windows of {@code size} records or {@code waitMs}, a snapshot after each. */
  private Training liveTraining(int size, int waitMs) {
    return training().toBuilder().live(new LiveWindows(size, waitMs, 0)).build();
  }

  /** With a live tail from {@code dataset} when it is not null. */
  private TopologyTestDriver driver(
      TrainerDependencies deps, boolean trainInBackground, Training training, String dataset) {
    AvroSerde<ModelSnapshot> snapshots = AvroSerde.of(ModelSnapshot.class, registry, false);
    AvroSerde<TrainingMetric> metrics = AvroSerde.of(TrainingMetric.class, registry, false);
    AvroSerde<LabeledImage> images = AvroSerde.of(LabeledImage.class, registry, false);
    var topology =
        TrainingTopology.build(
            "m",
            TrainingSetup.of(training),
            new TrainingTopology.Topics(
                "train.feed",
                new Topic<>("model.snapshots", Serdes.String(), snapshots),
                new Topic<>("training.metrics", Serdes.String(), metrics),
                "images.dlq",
                dataset,
                dataset == null ? null : "train.feed.live"),
            new LabeledImageDecoder(images.deserializer(), "train.feed", SHAPE, 2),
            deps,
            trainInBackground,
            () -> log);
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "t");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    return new TopologyTestDriver(topology, props);
  }

  private void feedEpoch(TestInputTopic<byte[], byte[]> feed, int epoch, int count) {
    AvroSerde<LabeledImage> images = AvroSerde.of(LabeledImage.class, registry, false);
    Random random = new Random(epoch);
    for (int i = 0; i < count; i++) {
      RecordHeaders headers = new RecordHeaders();
      headers.add(FeedHeaders.EPOCH, String.valueOf(epoch).getBytes(StandardCharsets.UTF_8));
      byte[] value = images.serializer().serialize("train.feed", image(i, random));
      feed.pipeInput(
          new TestRecord<>(("img-" + i).getBytes(StandardCharsets.UTF_8), value, headers));
      log.append(headers, value);
    }
    RecordHeaders marker = new RecordHeaders();
    marker.add(FeedHeaders.MARKER, FeedHeaders.EPOCH_END.getBytes(StandardCharsets.UTF_8));
    marker.add(FeedHeaders.EPOCH, String.valueOf(epoch).getBytes(StandardCharsets.UTF_8));
    feed.pipeInput(new TestRecord<>(null, null, marker));
    log.append(marker, null);
  }

  @Test
  void shouldTrainSnapshotAtEveryWindowEndAndEvaluateAtTheEpochEnd() {
    AtomicReference<Integer> evaluatedEpoch = new AtomicReference<>();
    TestSet test = testSet();
    TrainerDependencies deps = recordingEpochEnds(() -> test, evaluatedEpoch);
    try (TopologyTestDriver driver = driver(deps)) {
      TestInputTopic<byte[], byte[]> feed = bytesInput(driver, "train.feed");
      feedEpoch(feed, 1, 160);
      punctuateUntil(driver, () -> evaluatedEpoch.get() != null);
      TestOutputTopic<String, ModelSnapshot> snapshots = snapshotTopic(driver);
      List<ModelSnapshot> published = snapshots.readValuesToList();
      // 160 examples, windows of 64: 64 + 64 + 32 -> 8 + 8 + 4 = 20 steps, a snapshot per window.
      assertEquals(3, published.size());
      ModelSnapshot last = published.get(2);
      assertEquals(20, last.getVersion());
      assertTrue(last.getEpochComplete());
      assertEquals(1, evaluatedEpoch.get());
      TestOutputTopic<String, TrainingMetric> metrics =
          outputTopic(driver, "training.metrics", TrainingMetric.class);
      List<TrainingMetric> all = metrics.readValuesToList();
      TrainingMetric testEpoch =
          all.stream().filter(m -> m.getKind() == MetricKind.TEST_EPOCH).findFirst().orElseThrow();
      assertTrue(testEpoch.getAccuracy() > 0.9, "separable data: " + testEpoch.getAccuracy());
      List<TrainingMetric> prequential =
          all.stream().filter(m -> m.getKind() == MetricKind.PREQUENTIAL).toList();
      assertEquals(10, prequential.size(), "one every 2 steps");
      assertTrue(prequential.get(9).getLoss() < prequential.get(0).getLoss(), "the loss falls");
    }
  }

  @Test
  void shouldSkipBatchesTheRestoredSnapshotReflects() {
    ModelSnapshot midWindow;
    try (TopologyTestDriver driver = driver(TrainerDependencies.fromScratch())) {
      TestInputTopic<byte[], byte[]> feed = bytesInput(driver, "train.feed");
      feedEpoch(feed, 1, 64);
      AtomicReference<ModelSnapshot> epochEnd = new AtomicReference<>();
      List<ModelSnapshot> published =
          punctuateUntilPublished(
              driver, p -> p.stream().anyMatch(ModelSnapshot::getEpochComplete));
      midWindow = published.get(published.size() - 1);
    }
    assertEquals(8, SnapshotMetrics.stepsApplied(midWindow), "64 examples in batches of 8");
    // The epoch marker's empty window follows the window's end snapshot: a version of its own.
    assertEquals(9, midWindow.getVersion());
    // A new trainer resuming from that snapshot, fed the same window again, applies nothing.
    ModelSnapshot resumed = midWindow;
    try (TopologyTestDriver driver =
        driver(
            new TrainerDependencies(
                () -> Optional.of(resumed),
                () -> TestSet.EMPTY,
                TrainingListener.NONE,
                new StopSignal()))) {
      TestInputTopic<byte[], byte[]> feed = bytesInput(driver, "train.feed");
      // The same epoch again with the same window numbering: a restart finding the window stored.
      feedEpoch(feed, 1, 64);
      for (int i = 0; i < 20; i++) {
        driver.advanceWallClockTime(java.time.Duration.ofMillis(10));
      }
      List<ModelSnapshot> published = snapshotTopic(driver).readValuesToList();
      assertTrue(
          published.stream().allMatch(s -> SnapshotMetrics.stepsApplied(s) == 8),
          "no step may be applied twice: "
              + published.stream().map(SnapshotMetrics::stepsApplied).toList());
      assertTrue(published.stream().allMatch(s -> s.getVersion() > 9), "versions go on past 9");
    }
  }

  @Test
  void shouldTrainOnTheTrainingThreadToTheSameParametersAsInline() {
    List<ModelSnapshot> inline = trainOneEpoch(false);
    List<ModelSnapshot> background = trainOneEpoch(true);
    assertEquals(3, background.size(), "a snapshot per window, forwarded by the stream thread");
    assertEquals(
        inline.stream().map(ModelSnapshot::getVersion).toList(),
        background.stream().map(ModelSnapshot::getVersion).toList());
    ModelSnapshot a = inline.get(2);
    ModelSnapshot b = background.get(2);
    assertTrue(b.getEpochComplete());
    assertEquals(a.getSha256(), b.getSha256(), "bit-equal parameters");
  }

  @Test
  void shouldLearnLiveRecordsOfTheDatasetTopicInWindowsSealedOnCount() {
    try (TopologyTestDriver driver =
        driver(TrainerDependencies.fromScratch(), false, liveTraining(8, 60_000), "images.train")) {
      TestInputTopic<byte[], byte[]> dataset = bytesInput(driver, "images.train");
      produceLive(dataset, 0, 20);
      List<ModelSnapshot> published = punctuateUntilPublished(driver, p -> p.size() >= 2);
      // 20 live records, windows of 8: two sealed on count, the last 4 wait for more (or time).
      ModelSnapshot last = published.get(published.size() - 1);
      assertEquals(16.0, last.getMetrics().get(Trainer.LIVE_EXAMPLES_TRAINED));
      assertEquals(2, last.getVersion(), "one step of 8 per window");
      assertEquals(0, last.getEpoch(), "live records belong to no epoch");
      assertEquals(16.0, last.getMetrics().get(Trainer.LIVE_FEED_END), "feed offsets 0..15");
      assertEquals(
          liveEventsFrom + 15,
          last.getMetrics().get(Trainer.LIVE_NEWEST_NEW_EVENT).longValue(),
          "the newest event's own timestamp travels with the snapshot");
    }
  }

  @Test
  void shouldSealALiveWindowAfterItsWaitWithoutAnotherRecord() {
    try (TopologyTestDriver driver =
        driver(
            TrainerDependencies.fromScratch(), false, liveTraining(1_000, 200), "images.train")) {
      TestInputTopic<byte[], byte[]> dataset = bytesInput(driver, "images.train");
      TestOutputTopic<String, ModelSnapshot> out = snapshotTopic(driver);
      produceLive(dataset, 0, 5);
      driver.advanceWallClockTime(java.time.Duration.ofMillis(150));
      assertTrue(out.readValuesToList().isEmpty(), "the window waits up to 200 ms");
      driver.advanceWallClockTime(java.time.Duration.ofMillis(60));
      for (int i = 0; i < 10; i++) {
        driver.advanceWallClockTime(java.time.Duration.ofMillis(10));
      }
      List<ModelSnapshot> published = out.readValuesToList();
      assertEquals(1, published.size(), "sealed by its wait, trained, snapshotted");
      assertEquals(5.0, published.get(0).getMetrics().get(Trainer.LIVE_EXAMPLES_TRAINED));
    }
  }

  @Test
  void shouldDeadLetterBadLiveRecordsAsReplayedOnes() {
    try (TopologyTestDriver driver =
        driver(TrainerDependencies.fromScratch(), false, liveTraining(4, 60_000), "images.train")) {
      TestInputTopic<byte[], byte[]> dataset = bytesInput(driver, "images.train");
      dataset.pipeInput("bad".getBytes(StandardCharsets.UTF_8), new byte[] {1, 2, 3});
      produceLive(dataset, 0, 4);
      List<ModelSnapshot> published = punctuateUntilPublished(driver, p -> !p.isEmpty());
      assertEquals(4.0, published.get(0).getMetrics().get(Trainer.LIVE_EXAMPLES_TRAINED));
      var dlq =
          driver.createOutputTopic(
              "images.dlq",
              new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
              new org.apache.kafka.common.serialization.ByteArrayDeserializer());
      assertEquals(1, dlq.readRecordsToList().size());
    }
  }

  // Production time of the first live event of a test: now, as for a producer that is not behind.
  private final long liveEventsFrom = System.currentTimeMillis();

  /** Labeled images on the dataset topic, timestamps liveEventsFrom + i as their producer set. */
  private void produceLive(TestInputTopic<byte[], byte[]> dataset, int from, int to) {
    AvroSerde<LabeledImage> images = AvroSerde.of(LabeledImage.class, registry, false);
    Random random = new Random(from);
    for (int i = from; i < to; i++) {
      byte[] value = images.serializer().serialize("images.train", image(i, random));
      RecordHeaders headers = new RecordHeaders();
      headers.add(FeedHeaders.LIVE, FeedHeaders.liveSource("images.train-0", i));
      dataset.pipeInput(
          new TestRecord<>(
              ("live-" + i).getBytes(StandardCharsets.UTF_8),
              value,
              new RecordHeaders(),
              java.time.Instant.ofEpochMilli(liveEventsFrom + i)));
      log.append(headers, value);
    }
  }

  private TestOutputTopic<String, ModelSnapshot> snapshotTopic(TopologyTestDriver driver) {
    return outputTopic(driver, "model.snapshots", ModelSnapshot.class);
  }

  private <T extends org.apache.avro.specific.SpecificRecord>
      TestOutputTopic<String, T> outputTopic(
          TopologyTestDriver driver, String topic, Class<T> type) {
    return driver.createOutputTopic(
        topic, Serdes.String().deserializer(), AvroSerde.of(type, registry, false).deserializer());
  }

  /** One epoch of 160 examples; the snapshots in the order they were published. */
  private List<ModelSnapshot> trainOneEpoch(boolean trainInBackground) {
    AtomicReference<Integer> evaluatedEpoch = new AtomicReference<>();
    TrainerDependencies deps = recordingEpochEnds(TrainingTopologyTest::testSet, evaluatedEpoch);
    try (TopologyTestDriver driver = driver(deps, trainInBackground)) {
      TestInputTopic<byte[], byte[]> feed = bytesInput(driver, "train.feed");
      feedEpoch(feed, 1, 160);
      // The training thread runs in real time: punctuate until it has handed everything back.
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(60))
          .pollInSameThread()
          .pollInterval(java.time.Duration.ofMillis(1))
          .until(
              () -> {
                driver.advanceWallClockTime(java.time.Duration.ofMillis(10));
                return evaluatedEpoch.get() != null;
              });
      return snapshotTopic(driver).readValuesToList();
    }
  }

  /** Dependencies of a fresh trainer that record the last epoch it evaluated. */
  private static TrainerDependencies recordingEpochEnds(
      Supplier<TestSet> testSet, AtomicReference<Integer> evaluatedEpoch) {
    return new TrainerDependencies(
        Optional::empty,
        testSet,
        new TrainingListener() {
          @Override
          public void onEpochEnd(int epoch, io.streamtrain.model.Evaluation e, ModelSnapshot s) {
            evaluatedEpoch.set(epoch);
          }
        },
        new StopSignal());
  }

  /** Fires punctuations (each trains for a bounded time) until the condition holds; bounded. */
  /** Punctuates until the snapshots published so far satisfy {@code enough}; returns them. */
  private List<ModelSnapshot> punctuateUntilPublished(
      TopologyTestDriver driver, java.util.function.Predicate<List<ModelSnapshot>> enough) {
    TestOutputTopic<String, ModelSnapshot> out = snapshotTopic(driver);
    List<ModelSnapshot> published = new java.util.ArrayList<>();
    punctuateUntil(
        driver,
        () -> {
          published.addAll(out.readValuesToList());
          return enough.test(published);
        });
    return published;
  }

  private static void punctuateUntil(
      TopologyTestDriver driver, java.util.function.BooleanSupplier done) {
    for (int round = 0; round < 10_000 && !done.getAsBoolean(); round++) {
      driver.advanceWallClockTime(java.time.Duration.ofMillis(10));
    }
    assertTrue(done.getAsBoolean(), "training did not finish within 10,000 punctuations");
  }

  private static TestSet testSet() {
    Random random = new Random(99);
    int n = 40;
    float[] pixels = new float[n * 16];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      LabeledImage img = image(i, random);
      byte[] data = img.getData().array();
      for (int p = 0; p < 16; p++) {
        pixels[i * 16 + p] = (data[p] & 0xff) / 255f;
      }
      labels[i] = img.getLabel();
    }
    return new TestSet(pixels, labels, n);
  }

  private static TestInputTopic<byte[], byte[]> bytesInput(
      TopologyTestDriver driver, String topic) {
    return driver.createInputTopic(topic, new ByteArraySerializer(), new ByteArraySerializer());
  }
}
