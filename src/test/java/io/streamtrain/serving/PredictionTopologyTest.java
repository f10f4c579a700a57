package io.streamtrain.serving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.data.ImageShape;
import io.streamtrain.records.DeadLetters;
import io.streamtrain.records.LabeledImageDecoder;
import io.streamtrain.registry.AvroSerde;
import io.streamtrain.registry.MockSchemaRegistry;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.Prediction;
import io.streamtrain.snapshots.ModelHolder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The prediction topology under TopologyTestDriver, serving real DJL models ({@link
 * VersionedModels}: each answers its version modulo ten, so a prediction's label tells which model
 * computed it).
 */
class PredictionTopologyTest {
  private static final String INFER = "images.infer";
  private static final String PREDICTIONS = "predictions";
  private static final String DLQ = "images.dlq";

  /** Long enough that only a full batch or the punctuator answers, however slow the machine. */
  private static final Duration NEVER = Duration.ofHours(1);

  private final String scope = "prediction-topology-test-" + UUID.randomUUID();
  private final MockSchemaRegistry registry = MockSchemaRegistry.forScope(scope);
  private final AvroSerde<LabeledImage> images = AvroSerde.of(LabeledImage.class, registry, false);
  private final AvroSerde<Prediction> predictions = AvroSerde.of(Prediction.class, registry, false);
  private final ModelHolder models = new ModelHolder();
  private final Predictor.Stats stats = new Predictor.Stats();
  @TempDir Path stateDir;

  @AfterEach
  void close() {
    models.close();
    MockSchemaRegistry.dropScope(scope);
  }

  /** The topology under a driver, with its request and prediction topics. */
  private final class Run implements AutoCloseable {
    final TopologyTestDriver driver;
    final TestInputTopic<String, byte[]> in;
    final TestOutputTopic<String, Prediction> out;

    Run(int maxBatch) {
      var topology =
          PredictionTopology.build(
              INFER,
              PREDICTIONS,
              predictions.serializer(),
              DLQ,
              new LabeledImageDecoder(images.deserializer(), INFER, new ImageShape(2, 2, 1), 10),
              models,
              "m",
              maxBatch,
              NEVER,
              stats);
      Properties props = new Properties();
      props.put(StreamsConfig.APPLICATION_ID_CONFIG, "p");
      props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
      props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
      driver = new TopologyTestDriver(topology, props);
      in = driver.createInputTopic(INFER, new StringSerializer(), Serdes.ByteArray().serializer());
      out =
          driver.createOutputTopic(
              PREDICTIONS, Serdes.String().deserializer(), predictions.deserializer());
    }

    void request(String id) {
      in.pipeInput(id, images.serializer().serialize(INFER, VersionedModels.request(id)));
    }

    /** Requests {@code prefix}0 .. {@code prefix}{@code count - 1}; their ids in order. */
    List<String> send(String prefix, int count) {
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        ids.add(prefix + i);
        request(prefix + i);
      }
      return ids;
    }

    /** One wall-clock punctuation: what Streams does after each round of processing. */
    void endOfRound() {
      driver.advanceWallClockTime(Predictor.FLUSH_INTERVAL);
    }

    List<String> answeredKeys() {
      return out.readRecordsToList().stream().map(TestRecord::key).toList();
    }

    @Override
    public void close() {
      driver.close();
    }
  }

  @Test
  void shouldAnswerEachRequestKeyedAsTheRequestWithTheServingVersion() {
    models.offer(VersionedModels.model(7));
    try (Run run = new Run(64)) {
      run.request("req-1");
      run.request("req-2");
      run.endOfRound();

      List<TestRecord<String, Prediction>> out = run.out.readRecordsToList();
      assertEquals(2, out.size());
      for (int i = 0; i < 2; i++) {
        Prediction p = out.get(i).value();
        assertEquals("req-" + (i + 1), out.get(i).key());
        assertEquals("req-" + (i + 1), p.getId());
        assertEquals("m", p.getModelName());
        assertEquals(7L, p.getModelVersion());
        assertEquals(7, p.getLabel(), "the version-7 model computed it");
        assertNull(p.getTrueLabel(), "requests carry no label");
      }
    }
  }

  @Test
  void shouldDeadLetterABadRequestWithItsKindAndAnswerTheOthers() {
    models.offer(VersionedModels.model(1));
    try (Run run = new Run(64)) {
      TestOutputTopic<byte[], byte[]> dlq =
          run.driver.createOutputTopic(
              DLQ, new ByteArrayDeserializer(), new ByteArrayDeserializer());
      run.request("good-1");
      byte[] garbage = {0, 0, 0, 0, 1, 2, 3};
      run.in.pipeInput("bad", garbage);
      run.in.pipeInput("empty", new byte[0]);
      run.request("good-2");
      run.endOfRound();

      assertEquals(List.of("good-1", "good-2"), run.answeredKeys());
      assertEquals(1, stats.batches(), "the good requests around the bad ones shared one pass");
      List<TestRecord<byte[], byte[]>> letters = dlq.readRecordsToList();
      assertEquals(2, letters.size());
      TestRecord<byte[], byte[]> bad = letters.get(0);
      assertEquals("bad", new String(bad.key(), StandardCharsets.UTF_8));
      assertArrayEquals(garbage, bad.value(), "original bytes kept");
      assertEquals("truncated-avro", header(bad.headers(), DeadLetters.KIND));
      assertEquals(INFER, header(bad.headers(), DeadLetters.TOPIC));
      assertEquals("1", header(bad.headers(), DeadLetters.OFFSET));
      assertTrue(!header(bad.headers(), DeadLetters.MESSAGE).isBlank());
      TestRecord<byte[], byte[]> empty = letters.get(1);
      assertEquals("empty", new String(empty.key(), StandardCharsets.UTF_8));
      assertEquals("empty-value", header(empty.headers(), DeadLetters.KIND));
    }
  }

  @Test
  void shouldBatchUpToMaxBatchAndAnswerTheRestAtThePunctuation() {
    models.offer(VersionedModels.model(3));
    try (Run run = new Run(8)) {
      List<String> ids = run.send("req-", 20);
      assertEquals(16, run.out.getQueueSize(), "two full batches went out while the burst came");
      assertEquals(2, stats.batches());

      run.endOfRound();

      assertEquals(ids, run.answeredKeys(), "the punctuator answered the 4 left, in order");
      assertEquals(
          List.of(3L, 8L, 20L),
          List.of(stats.batches(), stats.largestBatch(), stats.requests()),
          "batches, largest batch, requests: 8 + 8 + the 4 left at the end of the round");
    }
  }

  @Test
  void shouldHotSwapBetweenBatchesWithoutMixingVersionsInOne() {
    models.offer(VersionedModels.model(3));
    try (Run run = new Run(4)) {
      run.send("a-", 4); // a full batch: answered by version 3 at once
      run.request("b-0");
      run.request("b-1");
      models.offer(VersionedModels.model(4)); // arrives while b-0 and b-1 wait for their pass
      run.request("b-2");
      run.endOfRound();

      List<Prediction> answered = run.out.readValuesToList();
      assertEquals(7, answered.size());
      for (int i = 0; i < 7; i++) {
        Prediction p = answered.get(i);
        long expected = i < 4 ? 3 : 4;
        assertEquals(expected, p.getModelVersion(), p.getId());
        assertEquals((int) expected, p.getLabel(), p.getId() + ": computed by the model it names");
      }
      assertEquals(2, stats.batches(), "the swap split no batch");
      assertEquals(2, stats.versionChanges(), "the first version, then the swap");
      assertEquals(4L, models.version());
    }
  }

  private static String header(Headers headers, String name) {
    Header h = headers.lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
