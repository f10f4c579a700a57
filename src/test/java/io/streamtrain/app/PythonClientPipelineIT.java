package io.streamtrain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamtrain.cli.Main;
import io.streamtrain.config.Settings;
import io.streamtrain.config.SettingsLoader;
import io.streamtrain.kafka.EmbeddedKafkaExtension;
import io.streamtrain.kafka.Replayer;
import io.streamtrain.kafka.TopicReader;
import io.streamtrain.registry.KafkaSchemaStore;
import io.streamtrain.registry.RegistryServer;
import io.streamtrain.registry.WireFormat;
import io.streamtrain.schema.ImageEncoding;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.MetricKind;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.TrainingMetric;
import io.streamtrain.testing.Python;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * streamtrain with a foreign client on each end, as a Python user runs it, with the documented
 * example examples/python/streamtrain_client.py: {@code streamtrain topics create} registers the
 * value schemas on an empty registry; the example, on Debian's python3-confluent-kafka, finds
 * LabeledImage's with Confluent's {@code SchemaRegistryClient.get_latest_version} (registering
 * nothing) and produces Confluent-framed records encoded with python3-avro, from IDX files and from
 * an ImageFolder tree of PNGs; Java replays and trains on them ({@code streamtrain train --epochs
 * 1}) and predicts; the example reads the predictions back with confluent_kafka.Consumer and the
 * schema fetched by id. Embedded broker and registry endpoint (Kafka-backed store). Skipped where
 * /usr/bin/python3 lacks confluent_kafka, requests or avro.
 */
class PythonClientPipelineIT {
  private static final String PYTHON = Python.PATH;
  private static final int TRAIN_IMAGES = 300;
  private static final int TEST_IMAGES = 100;
  private static final int REQUESTS = 50;
  private static final int BATCH = 64;
  private static final ObjectMapper JSON = new ObjectMapper();

  @RegisterExtension static final EmbeddedKafkaExtension kafka = new EmbeddedKafkaExtension();
  private static KafkaSchemaStore store;
  private static RegistryServer registry;

  @TempDir Path dir;

  @BeforeAll
  static void start() {
    assumeTrue(
        Python.imports(
            Duration.ofSeconds(30), "confluent_kafka.schema_registry", "requests", "avro.io"),
        PYTHON
            + " lacks confluent_kafka, requests or avro"
            + " (apt-get install python3-confluent-kafka python3-requests python3-avro)");
    store =
        new KafkaSchemaStore(
            kafka.clientProperties(),
            "_schemas-" + UUID.randomUUID(),
            (short) 1,
            Duration.ofSeconds(30));
    registry = RegistryServer.start(0, store);
  }

  @AfterAll
  static void stop() {
    if (registry != null) {
      registry.close();
    }
    if (store != null) {
      store.close();
    }
  }

  @Test
  void shouldTrainOnPythonProducedImagesAndAnswerAPythonConsumer() throws Exception {
    Map<String, String> flags = new LinkedHashMap<>();
    flags.put("bootstrap", kafka.bootstrap());
    flags.put("registry", registry.url());
    flags.put("topic-prefix", "py" + UUID.randomUUID().toString().substring(0, 8) + ".");
    flags.put("state-dir", dir.resolve("state").toString());
    Settings settings = SettingsLoader.load(null, Map.of(), flags);
    Pipeline pipeline = new Pipeline(settings);
    assertEquals(0, Main.run(cli("topics", flags, "create")), "streamtrain topics create");
    // Every topic that carries Avro has its value schema before anything was produced.
    Set<String> subjects = new HashSet<>(pipeline.registry().subjects());
    for (String topic : avroTopics(pipeline)) {
      assertTrue(subjects.contains(topic + "-value"), topic + "-value in " + subjects);
    }
    Path script = Path.of("examples/python/streamtrain_client.py").toAbsolutePath();
    Path trainIdx = idx(dir.resolve("train-idx"), "train", TestPipelines.images("t", TRAIN_IMAGES, 1));
    Path testIdx = idx(dir.resolve("test-idx"), "t10k", TestPipelines.images("s", TEST_IMAGES, 2));
    Path requests = imageFolder(dir.resolve("requests"), TestPipelines.images("r", REQUESTS, 3));
    long start = System.nanoTime();

    JsonNode train =
        python(script, "produce", pipeline.names().imagesTrain(), "--images", trainIdx, "--split", "train");
    JsonNode test =
        python(script, "produce", pipeline.names().imagesTest(), "--images", testIdx, "--split", "test");
    assertEquals(TRAIN_IMAGES, train.path("count").asInt());
    assertEquals(TEST_IMAGES, test.path("count").asInt());

    // Python registered the same schema Java's serializer registers: one id for both.
    byte[] fromJava =
        pipeline
            .serde(LabeledImage.class)
            .serializer()
            .serialize(pipeline.names().imagesTrain(), image());
    assertEquals(train.path("schema_id").asInt(), WireFormat.schemaId(fromJava));
    assertEquals(train.path("schema_id").asInt(), test.path("schema_id").asInt());
    assertEquals(1, train.path("version").asInt());
    long produced = System.nanoTime();

    Replayer.Summary replayed =
        new Replayer(
                settings.producerProps(),
                settings.consumerProps(null),
                pipeline.names().imagesTrain(),
                pipeline.names().trainFeed())
            .replay(1);
    assertEquals(TRAIN_IMAGES, replayed.records());
    assertEquals(0, Main.run(cli("train", flags, "--epochs", "1")), "streamtrain train exit code");
    long trained = System.nanoTime();

    // One epoch of exactly the Python records: ceil(300 / 64) = 5 steps, the last one partial.
    ModelSnapshot snapshot = pipeline.latestSnapshot().orElseThrow();
    assertEquals((TRAIN_IMAGES + BATCH - 1) / BATCH, snapshot.getVersion());
    assertEquals(1, snapshot.getEpoch());
    assertTrue(snapshot.getEpochComplete());
    assertEquals(0, recordCount(settings, pipeline.names().imagesDlq()), "dead letters");
    TrainingMetric evaluation =
        metrics(pipeline).stream()
            .filter(m -> m.getKind() == MetricKind.TEST_EPOCH && m.getEpoch() == 1)
            .findFirst()
            .orElseThrow();
    assertEquals(Long.valueOf(TEST_IMAGES), evaluation.getCount(), "Python test images evaluated");
    System.err.printf(
        "Python-produced epoch: %d steps, test accuracy %.1f%% on %d Python test images%n",
        snapshot.getVersion(), 100 * evaluation.getAccuracy(), evaluation.getCount());

    JsonNode answers;
    try (PredictionRun predictor =
        new PredictionRun(
                pipeline, new PredictionRun.Options(BATCH, Duration.ofMillis(5), false, "-python"))
            .start(Duration.ofSeconds(60))) {
      python(script, "produce", pipeline.names().imagesInfer(), "--images", requests, "--unlabeled");
      answers =
          python(
              script, "consume", pipeline.names().predictions(), "--count",
              Integer.toString(REQUESTS), "--timeout", "90");
      predictor.throwIfFailed();
    }
    long answered = System.nanoTime();

    int predictionSchemaId =
        pipeline.registry().getLatest(pipeline.names().predictions() + "-value").id();
    assertEquals("[" + predictionSchemaId + "]", answers.path("schema_ids").toString());
    Set<String> answeredIds = new HashSet<>();
    for (JsonNode prediction : answers.path("predictions")) {
      String id = prediction.path("id").asText();
      answeredIds.add(id);
      assertEquals(id, prediction.path("key").asText(), "keyed as the request");
      int label = prediction.path("label").asInt(-1);
      assertTrue(label >= 0 && label < 10, "label " + label + " of " + id);
      assertEquals(10, prediction.path("probabilities").size(), "probabilities of " + id);
      double sum = 0;
      for (JsonNode p : prediction.path("probabilities")) {
        sum += p.asDouble();
      }
      assertEquals(1.0, sum, 1e-4, "probabilities of " + id + " sum to 1");
      assertEquals(snapshot.getVersion(), prediction.path("modelVersion").asLong());
    }
    Set<String> requested = new HashSet<>();
    for (int i = 0; i < REQUESTS; i++) {
      requested.add("python-" + pipeline.names().imagesInfer() + "-" + i);
    }
    assertEquals(requested, answeredIds);
    System.err.printf(
        "Python produce %.1f s, replay + train %.1f s, predict round trip %.1f s%n",
        (produced - start) / 1e9, (trained - produced) / 1e9, (answered - trained) / 1e9);
  }

  /** Runs one command of the example against the embedded broker and registry. */
  private JsonNode python(Path script, String command, String topic, Object... extra)
      throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of(PYTHON, script.toString(), command));
    args.addAll(
        List.of("--registry", registry.url(), "--bootstrap", kafka.bootstrap(), "--topic", topic));
    if (command.equals("produce")) {
      args.addAll(List.of("--prefix", "python-" + topic));
    }
    for (Object e : extra) {
      args.add(e.toString());
    }
    Path log = dir.resolve(command + "-" + topic + ".log");
    Process process = new ProcessBuilder(args).redirectError(log.toFile()).start();
    byte[] out;
    try (InputStream stdout = process.getInputStream()) {
      out = stdout.readAllBytes();
    }
    if (!process.waitFor(120, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("Python " + command + " did not finish: " + Files.readString(log));
    }
    if (process.exitValue() != 0) {
      throw new AssertionError(
          "Python " + command + " exited " + process.exitValue() + ": " + Files.readString(log));
    }
    System.err.print(Files.readString(log));
    return JSON.readTree(out);
  }

  private static List<String> avroTopics(Pipeline pipeline) {
    var n = pipeline.names();
    return List.of(
        n.imagesTrain(), n.imagesTest(), n.trainFeed(), n.imagesInfer(), n.predictions(),
        n.modelSnapshots(), n.trainingMetrics());
  }

  /** {@code images} as Fashion-MNIST's gzipped IDX files {@code <stem>-images/labels-...}. */
  private static Path idx(Path directory, String stem, List<LabeledImage> images)
      throws IOException {
    Files.createDirectories(directory);
    ByteArrayOutputStream pixels = new ByteArrayOutputStream();
    ByteArrayOutputStream labels = new ByteArrayOutputStream();
    DataOutputStream p = new DataOutputStream(pixels);
    DataOutputStream l = new DataOutputStream(labels);
    p.writeInt(2051);
    p.writeInt(images.size());
    p.writeInt(28);
    p.writeInt(28);
    l.writeInt(2049);
    l.writeInt(images.size());
    for (LabeledImage image : images) {
      p.write(bytes(image));
      l.write(image.getLabel());
    }
    gzip(directory.resolve(stem + "-images-idx3-ubyte.gz"), pixels.toByteArray());
    gzip(directory.resolve(stem + "-labels-idx1-ubyte.gz"), labels.toByteArray());
    return directory;
  }

  /** {@code images} as an ImageFolder tree of grayscale PNGs, {@code root/<className>/<id>.png}. */
  private static Path imageFolder(Path root, List<LabeledImage> images) throws IOException {
    for (LabeledImage image : images) {
      BufferedImage png = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
      png.getRaster().setDataElements(0, 0, 28, 28, bytes(image));
      Path file = root.resolve(image.getClassName()).resolve(image.getId() + ".png");
      Files.createDirectories(file.getParent());
      ImageIO.write(png, "png", file.toFile());
    }
    return root;
  }

  private static byte[] bytes(LabeledImage image) {
    ByteBuffer data = image.getData().duplicate();
    byte[] bytes = new byte[data.remaining()];
    data.get(bytes);
    return bytes;
  }

  private static void gzip(Path file, byte[] bytes) throws IOException {
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write(bytes);
    }
  }

  private static String[] cli(String command, Map<String, String> flags, String... extra) {
    List<String> args = new ArrayList<>(List.of(command));
    flags.forEach((name, value) -> args.add("--" + name + "=" + value));
    args.addAll(List.of(extra));
    return args.toArray(String[]::new);
  }

  private static List<TrainingMetric> metrics(Pipeline pipeline) {
    String topic = pipeline.names().trainingMetrics();
    List<TrainingMetric> metrics = new ArrayList<>();
    for (byte[] value : values(pipeline.settings(), topic)) {
      metrics.add(pipeline.serde(TrainingMetric.class).deserializer().deserialize(topic, value));
    }
    return metrics;
  }

  private static long recordCount(Settings settings, String topic) {
    return values(settings, topic).size();
  }

  /** Every value of a topic up to its current end. */
  private static List<byte[]> values(Settings settings, String topic) {
    List<byte[]> values = new ArrayList<>();
    TopicReader.read(settings.consumerProps(null), topic, r -> values.add(r.value()));
    return values;
  }

  private static LabeledImage image() {
    return LabeledImage.newBuilder()
        .setId("from-java")
        .setHeight(1)
        .setWidth(1)
        .setChannels(1)
        .setEncoding(ImageEncoding.RAW)
        .setData(ByteBuffer.wrap(new byte[] {7}))
        .build();
  }
}
