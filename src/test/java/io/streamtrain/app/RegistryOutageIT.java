package io.streamtrain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.registry.RestSchemaRegistryClient;
import io.streamtrain.registry.WireFormat;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.training.Trainer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The Schema Registry goes away under a following trainer and a predictor, while records written
 * with a schema id neither has cached arrive. Within the outage wait both retry (one WARN line per
 * attempt) and go on when it is back, losing and dead-lettering nothing; past the wait both stop
 * with one line and a non-zero exit, no stack trace.
 */
class RegistryOutageIT {
  private static final String MODEL = "outage";
  private static final String RETRY_LINE = "Schema Registry unavailable";
  private static final Map<String, String> LIVE =
      Map.of("live-window", "32", "live-wait-ms", "100", "live-snapshot-ms", "0");

  @Test
  void shouldWaitOutAnOutageLosingNothingThenStopWithOneLineWhenItLastsTooLong() {
    try (Scenario s = Scenario.embedded();
        TcpGate gate = new TcpGate(URI.create(s.registryUrl()).getPort())) {
      s.createTopics();
      var names = s.pipeline().names();
      s.produce(names.imagesTrain(), TestPipelines.images("dataset", 256, 1));
      String url = "http://127.0.0.1:" + gate.port();
      int variantId = registerVariant(s);
      Path state = s.newDir("state");

      try (Scenario.Child trainer = s.launch("trainer", train(s, url, state, 120));
          Scenario.Child predictor = s.launch("predictor", predict(s, url, s.newDir("p"), 120))) {
        awaitLine(trainer, "Live tail of");
        s.replay(1);
        s.awaitSnapshot(MODEL, Scenario.endOfEpoch(1), Duration.ofSeconds(180));
        awaitLine(predictor, "Serving");
        s.produce(names.imagesInfer(), TestPipelines.images("before", 20, 2));
        awaitCount(s, names.predictions(), 20);

        gate.close();
        s.produceRaw(variant(names.imagesTrain(), "outage", 100, variantId));
        s.produceRaw(variant(names.imagesInfer(), "outage-request", 20, variantId));
        awaitRetries(trainer, 2);
        awaitRetries(predictor, 2);
        gate.open();

        s.awaitSnapshot(
            MODEL,
            snapshot ->
                snapshot.getMetrics().getOrDefault(Trainer.LIVE_EXAMPLES_TRAINED, 0.0) >= 100,
            Duration.ofSeconds(120));
        awaitCount(s, names.predictions(), 40);
        assertTrue(trainer.isAlive() && predictor.isAlive(), trainer.describe());
        assertEquals(List.of(), s.readAll(names.imagesDlq()), "nothing dead-lettered");
        assertOneLinePerRetry(trainer);
        assertOneLinePerRetry(predictor);
        long stopping = System.nanoTime();
        trainer.stop();
        System.err.printf("trainer stopped %.1f s after SIGTERM%n", seconds(stopping));
        stopping = System.nanoTime();
        predictor.stop();
        System.err.printf("predictor stopped %.1f s after SIGTERM%n", seconds(stopping));
      }

      // Longer than the wait: one line naming the registry and the setting, non-zero exit.
      try (Scenario.Child trainer = s.launch("trainer-2", train(s, url, state, 3));
          Scenario.Child predictor = s.launch("predictor-2", predict(s, url, s.newDir("p2"), 3))) {
        awaitLine(trainer, "Live tail of");
        awaitLine(predictor, "Serving");
        gate.close();
        int otherId = variantId; // not cached by these fresh processes either
        s.produceRaw(variant(names.imagesTrain(), "late", 10, otherId));
        s.produceRaw(variant(names.imagesInfer(), "late-request", 10, otherId));
        assertNotEquals(0, trainer.awaitExit(Duration.ofSeconds(120)), trainer.describe());
        assertNotEquals(0, predictor.awaitExit(Duration.ofSeconds(120)), predictor.describe());
        assertStoppedWithOneLine(trainer);
        assertStoppedWithOneLine(predictor);
        assertEquals(List.of(), s.readAll(names.imagesDlq()), "nothing dead-lettered");
      }
    }
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }

  private static List<String> train(Scenario s, String url, Path state, int waitSeconds) {
    List<String> args = new ArrayList<>(List.of("train", "--follow"));
    args.addAll(List.of("--config", s.fastRecoveryConfig().toString()));
    args.addAll(s.commandLine(MODEL, state, LIVE));
    args.set(args.indexOf("--registry") + 1, url);
    args.addAll(List.of("--outage-wait-seconds", String.valueOf(waitSeconds)));
    return args;
  }

  private static List<String> predict(Scenario s, String url, Path state, int waitSeconds) {
    return List.of(
        "predict",
        "--config",
        s.fastRecoveryConfig().toString(),
        "--bootstrap",
        s.bootstrap(),
        "--registry",
        url,
        "--topic-prefix",
        s.topicPrefix(),
        "--model-name",
        MODEL,
        "--state-dir",
        state.toString(),
        "--device",
        "cpu",
        "--outage-wait-seconds",
        String.valueOf(waitSeconds));
  }

  /**
   * A second LabeledImage schema (one more optional field) in the registry: records written with it
   * carry an id the trainer and predictor have not cached, so decoding them needs the registry.
   */
  private static int registerVariant(Scenario s) {
    Schema base = LabeledImage.getClassSchema();
    List<Schema.Field> fields = new ArrayList<>();
    for (Schema.Field f : base.getFields()) {
      fields.add(new Schema.Field(f, f.schema()));
    }
    fields.add(
        new Schema.Field(
            "note",
            Schema.createUnion(Schema.create(Schema.Type.NULL), Schema.create(Schema.Type.STRING)),
            null,
            Schema.Field.NULL_DEFAULT_VALUE));
    Schema variant =
        Schema.createRecord(base.getName(), base.getDoc(), base.getNamespace(), false, fields);
    return new RestSchemaRegistryClient(s.registryUrl(), Map.of())
        .register(s.topicPrefix() + "variant-value", variant);
  }

  /** Images written with the variant schema: the usual body, then the note's null branch. */
  private static List<ProducerRecord<byte[], byte[]>> variant(
      String topic, String prefix, int count, int schemaId) {
    var serializer =
        io.streamtrain.registry.AvroSerde.of(
                LabeledImage.class,
                io.streamtrain.registry.MockSchemaRegistry.forScope("variant-" + prefix),
                false)
            .serializer();
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (LabeledImage image : TestPipelines.images(prefix, count, 3)) {
      byte[] body = WireFormat.body(serializer.serialize(topic, image));
      byte[] withNote = Arrays.copyOf(body, body.length + 1); // union branch 0: null
      records.add(
          new ProducerRecord<>(
              topic,
              image.getId().getBytes(StandardCharsets.UTF_8),
              WireFormat.frame(schemaId, withNote)));
    }
    return records;
  }

  private static void awaitLine(Scenario.Child child, String text) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> child.stderr().contains(text) || !child.isAlive());
    assertTrue(child.isAlive(), child.describe());
  }

  private static void awaitRetries(Scenario.Child child, long retries) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> retryLines(child).size() >= retries || !child.isAlive());
    assertTrue(child.isAlive(), child.describe());
  }

  private static void awaitCount(Scenario s, String topic, int count) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> s.readAll(topic).size() >= count);
    assertEquals(count, s.readAll(topic).size(), "each request answered once");
  }

  private static List<String> retryLines(Scenario.Child child) {
    return child.stderr().lines().filter(l -> l.contains(RETRY_LINE)).toList();
  }

  /** Every retry said so in one line, and no stack trace reached the user. */
  private static void assertOneLinePerRetry(Scenario.Child child) {
    assertTrue(retryLines(child).size() >= 2, child.describe());
    assertTrue(retryLines(child).stream().allMatch(l -> l.contains(" WARN ")), child.describe());
    assertNoStackTrace(child);
  }

  private static void assertStoppedWithOneLine(Scenario.Child child) {
    List<String> errors =
        child.stderr().lines().filter(l -> l.startsWith("streamtrain: ")).toList();
    assertEquals(1, errors.size(), child.describe());
    assertTrue(errors.get(0).contains("Schema Registry"), errors.get(0));
    assertTrue(errors.get(0).contains("--outage-wait-seconds"), errors.get(0));
    assertNoStackTrace(child);
  }

  private static void assertNoStackTrace(Scenario.Child child) {
    assertTrue(
        child.stderr().lines().noneMatch(l -> l.startsWith("\tat ") || l.startsWith("Caused by")),
        child.describe());
  }
}
