package io.streamtrain.serving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.streamtrain.data.ImageShape;
import io.streamtrain.model.InferenceModel;
import io.streamtrain.model.ModelSpec;
import io.streamtrain.model.StateDicts;
import io.streamtrain.records.DeadLetters;
import io.streamtrain.records.LabeledImageDecoder;
import io.streamtrain.registry.AvroSerde;
import io.streamtrain.registry.MockSchemaRegistry;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.NamedTensor;
import io.streamtrain.schema.Prediction;
import io.streamtrain.snapshots.ModelHolder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.MockProcessorContext.CapturedForward;
import org.apache.kafka.streams.processor.api.MockProcessorContext.CapturedPunctuator;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The Predictor's micro-batching under MockProcessorContext, with tiny version-encoding models. */
class PredictorTest {
  // The predictor's wall clock; requests produced just before it are fresh, not a backlog.
  private static final long NOW = 5_000L;

  static final String TOPIC = "images.infer";
  private final Fixtures fixtures = new Fixtures();
  private final ModelHolder models = new ModelHolder();
  private final AtomicLong nanos = new AtomicLong();
  private final Predictor.Stats stats = new Predictor.Stats();
  private final MockProcessorContext<Object, Object> context = new MockProcessorContext<>();

  @AfterEach
  void close() {
    models.close();
    fixtures.close();
  }

  /** A predictor serving model version {@code version}. */
  private Predictor serving(long version, int maxBatch, Duration maxWait) {
    models.offer(fixtures.model(version));
    return predictor(maxBatch, maxWait);
  }

  private Predictor predictor(int maxBatch, Duration maxWait) {
    Predictor predictor =
        new Predictor(
            fixtures.decoder(),
            models,
            "m",
            maxBatch,
            maxWait,
            new DeadLetters(Predictor.DEAD_LETTERS),
            stats,
            nanos::get);
    context.setCurrentSystemTimeMs(NOW);
    predictor.init(context);
    return predictor;
  }

  private void punctuate() {
    for (CapturedPunctuator p : context.scheduledPunctuators()) {
      p.getPunctuator().punctuate(context.currentSystemTimeMs());
    }
  }

  private List<Record<byte[], Prediction>> predictions() {
    List<Record<byte[], Prediction>> out = new ArrayList<>();
    for (CapturedForward<?, ?> f : context.forwarded()) {
      if (Predictor.PREDICTIONS.equals(f.childName().orElse(null))) {
        @SuppressWarnings("unchecked")
        Record<byte[], Prediction> r = (Record<byte[], Prediction>) f.record();
        out.add(r);
      }
    }
    return out;
  }

  @Test
  void shouldAnswerALoneRequestAtTheEndOfTheRoundNotAfterMaxWait() {
    Predictor predictor = serving(3, 64, Duration.ofSeconds(10));

    predictor.process(fixtures.request("req-1", NOW - 1));
    punctuate(); // Streams punctuates after processing what one poll delivered

    List<Record<byte[], Prediction>> out = predictions();
    assertEquals(1, out.size(), "answered in the same round although max-wait is 10 s");
    assertEquals(0, nanos.get(), "no time passed: the request did not wait for max-wait");
    CapturedPunctuator flush = context.scheduledPunctuators().get(0);
    assertEquals(PunctuationType.WALL_CLOCK_TIME, flush.getType());
    assertEquals(Duration.ofMillis(1), flush.getInterval());
  }

  @Test
  void shouldBatchABurstUpToMaxBatch() {
    Predictor predictor = serving(3, 8, Duration.ofSeconds(10));

    for (int i = 0; i < 20; i++) {
      predictor.process(fixtures.request("req-" + i, NOW - 20 + i));
    }
    assertEquals(16, predictions().size(), "two full batches went out while the burst arrived");
    assertEquals(4, predictor.pending());
    punctuate();

    List<Record<byte[], Prediction>> out = predictions();
    assertEquals(20, out.size());
    for (int i = 0; i < 20; i++) {
      assertEquals("req-" + i, new String(out.get(i).key(), StandardCharsets.UTF_8));
    }
    assertEquals(3, stats.batches(), "8 + 8 + the 4 left at the end of the round");
    assertEquals(8, stats.largestBatch());
    assertEquals(20, stats.requests());
  }

  @Test
  void shouldRunTheBatchOnceItsOldestRequestWaitedMaxWait() {
    Predictor predictor = serving(3, 64, Duration.ofMillis(5));

    predictor.process(fixtures.request("a", 1L));
    nanos.addAndGet(Duration.ofMillis(4).toNanos());
    predictor.process(fixtures.request("b", 2L));
    assertEquals(0, predictions().size(), "4 ms < max-wait: keep gathering");
    nanos.addAndGet(Duration.ofMillis(1).toNanos());
    predictor.process(fixtures.request("c", 3L));

    assertEquals(3, predictions().size(), "the oldest waited 5 ms: a, b and c share one pass");
    assertEquals(1, stats.batches());
  }

  @Test
  void shouldKeepGatheringABacklogAtAPunctuationUntilMaxWait() {
    Predictor predictor = serving(3, 64, Duration.ofMillis(5));
    long late = NOW - Predictor.BACKLOG_LAG.toMillis() - 1; // produced before the backlog lag

    predictor.process(fixtures.request("a", late));
    punctuate();
    assertEquals(0, predictions().size(), "a late request arrived this round: keep gathering");
    predictor.process(fixtures.request("b", late));
    nanos.addAndGet(Duration.ofMillis(2).toNanos());
    punctuate();
    assertEquals(0, predictions().size(), "2 ms < max-wait and b arrived: keep gathering");
    punctuate();
    assertEquals(2, predictions().size(), "a round without arrivals: the backlog is drained");
    assertEquals(1, stats.batches(), "a and b shared one pass");

    predictor.process(fixtures.request("c", late));
    punctuate();
    nanos.addAndGet(Duration.ofMillis(5).toNanos());
    predictor.process(fixtures.request("d", late));
    assertEquals(4, predictions().size(), "c waited max-wait: c and d went out together");
    assertEquals(2, stats.batches());
  }

  @Test
  void shouldAnswerEveryRequestWithinItsOwnProcessCallWhenMaxWaitIsZero() {
    Predictor predictor = serving(3, 64, Duration.ZERO); // how the exactly-once app runs

    for (int i = 0; i < 5; i++) {
      predictor.process(fixtures.request("req-" + i, i));
      assertEquals(i + 1, predictions().size(), "nothing left waiting for a later commit");
      assertEquals(0, predictor.pending());
    }
  }

  @Test
  void shouldKeyPredictionsAsRequestsWithTheServingVersionAndRequestTime() {
    Predictor predictor = serving(7, 64, Duration.ofMillis(5));

    predictor.process(fixtures.request("req-42", 123_456L));
    punctuate();

    Record<byte[], Prediction> out = predictions().get(0);
    Prediction p = out.value();
    assertEquals("req-42", new String(out.key(), StandardCharsets.UTF_8));
    assertEquals(123_456L, out.timestamp(), "the prediction keeps the request's timestamp");
    assertEquals("req-42", p.getId());
    assertEquals(7L, p.getModelVersion());
    assertEquals(7, p.getLabel(), "the version-7 model answers class 7");
    assertEquals("Sneaker", p.getClassName());
    assertEquals(10, p.getProbabilities().size());
    assertEquals(Instant.ofEpochMilli(123_456L), p.getRequestTime());
    assertEquals(Instant.ofEpochMilli(NOW), p.getPredictTime());
    assertNull(p.getTrueLabel(), "requests carry no label");
    assertEquals("m", p.getModelName());
  }

  @Test
  void shouldDeadLetterABadRequestAndStillAnswerTheOthersOfItsBatch() {
    Predictor predictor = serving(1, 64, Duration.ofMillis(5));
    context.setRecordMetadata(TOPIC, 0, 17L);

    predictor.process(fixtures.request("good-1", NOW - 3));
    byte[] garbage = {0, 0, 0, 0, 1, 2, 3};
    predictor.process(new Record<>("bad".getBytes(StandardCharsets.UTF_8), garbage, NOW - 2));
    predictor.process(fixtures.request("good-2", NOW - 1));
    punctuate();

    assertEquals(2, predictions().size());
    List<CapturedForward<?, ?>> dead =
        context.forwarded().stream()
            .filter(f -> Predictor.DEAD_LETTERS.equals(f.childName().orElse(null)))
            .toList();
    assertEquals(1, dead.size());
    assertArrayEquals(garbage, (byte[]) dead.get(0).record().value(), "original bytes kept");
    assertEquals(1, stats.batches(), "the good requests around it still shared one pass");
  }

  @Test
  void shouldAnswerBufferedRequestsWhenClosed() {
    Predictor predictor = serving(2, 64, Duration.ofSeconds(10));

    predictor.process(fixtures.request("a", 1L));
    predictor.process(fixtures.request("b", 2L));
    predictor.close();

    assertEquals(2, predictions().size(), "a task suspended mid-round still answers its requests");
  }

  @Test
  void shouldApplyTheSnapshotsTransformsAndNameClassesAsItDoes() {
    ModelSnapshot snapshot = VersionedModels.snapshot("m", 3);
    snapshot.setTransforms("resize:2x2");
    snapshot.setClassNames(List.of("zero", "one", "two", "three"));
    models.offer(StateDicts.toInferenceModel(snapshot, Device.cpu()));
    Predictor predictor = predictor(64, Duration.ofMillis(5));
    predictor.process(fixtures.request("big", 4, 4));
    punctuate();

    assertEquals(1, predictions().size(), "the 4x4 request was resized to the model's 2x2");
    assertEquals("three", predictions().get(0).value().getClassName());
  }

  @Test
  void shouldPrepareRequestsForTheServedModelsInputRatherThanTheConfiguredOne() {
    // mlp:12-8-10 takes 2x2 RGB; the predictor's configured input is 2x2 gray.
    ModelSpec rgb = ModelSpec.parse("mlp:12-8-10");
    List<NamedTensor> tensors = new ArrayList<>();
    for (int i = 0; i < rgb.parameterNames().size(); i++) {
      long[] shape = rgb.parameterShapes().get(i);
      int elements = 1;
      List<Long> dims = new ArrayList<>();
      for (long d : shape) {
        elements *= (int) d;
        dims.add(d);
      }
      ByteBuffer bytes = ByteBuffer.allocate(elements * 4).order(ByteOrder.LITTLE_ENDIAN);
      if (i == rgb.parameterNames().size() - 1) {
        bytes.putFloat(4 * 6, 5f); // the last bias: class 6 wins whatever the input
      }
      tensors.add(new NamedTensor(rgb.parameterNames().get(i), dims, "float32", bytes));
    }
    ModelSnapshot snapshot =
        ModelSnapshot.newBuilder(VersionedModels.snapshot("m", 6))
            .setArchitecture(rgb.toString())
            .setTensors(tensors)
            .setSha256(StateDicts.sha256(tensors, List.of()))
            .setTransforms("resize:2x2,rgb")
            .build();
    models.offer(StateDicts.toInferenceModel(snapshot, Device.cpu()));
    Predictor predictor = predictor(64, Duration.ofMillis(5));
    predictor.process(fixtures.request("gray", 5, 5));
    punctuate();

    assertEquals(1, predictions().size(), "resized and made RGB for the served model");
    assertEquals(6, predictions().get(0).value().getLabel());
    assertEquals("Shirt", predictions().get(0).value().getClassName(), "10 classes, no names");
  }

  /** A mock:// registry scope, the request serde, and {@link VersionedModels}. */
  static final class Fixtures implements AutoCloseable {
    static final ImageShape SHAPE = new ImageShape(2, 2, 1);
    private final String scope = "predictor-test-" + UUID.randomUUID();
    private final MockSchemaRegistry registry = MockSchemaRegistry.forScope(scope);
    private final AvroSerde<LabeledImage> images =
        AvroSerde.of(LabeledImage.class, registry, false);

    LabeledImageDecoder decoder() {
      return new LabeledImageDecoder(images.deserializer(), TOPIC, SHAPE, 10);
    }

    /** A request for a gray image of {@code height} x {@code width} zero pixels. */
    Record<byte[], byte[]> request(String id, int height, int width) {
      LabeledImage image =
          LabeledImage.newBuilder(VersionedModels.request(id))
              .setHeight(height)
              .setWidth(width)
              .setData(ByteBuffer.wrap(new byte[height * width]))
              .build();
      return new Record<>(
          id.getBytes(StandardCharsets.UTF_8),
          images.serializer().serialize(TOPIC, image),
          NOW - 1);
    }

    Record<byte[], byte[]> request(String id, long timestamp) {
      return new Record<>(
          id.getBytes(StandardCharsets.UTF_8),
          images.serializer().serialize(TOPIC, VersionedModels.request(id)),
          timestamp);
    }

    InferenceModel model(long version) {
      return VersionedModels.model(version);
    }

    @Override
    public void close() {
      MockSchemaRegistry.dropScope(scope);
    }
  }

  @Test
  void fixtureModelsShouldAnswerTheirVersionModuloTen() {
    try (InferenceModel model = fixtures.model(13)) {
      float[] p = model.probabilities(new float[4], 1)[0];
      int best = 0;
      for (int i = 1; i < p.length; i++) {
        best = p[i] > p[best] ? i : best;
      }
      assertEquals(3, best);
      assertTrue(p[3] > 0.9f);
    }
  }
}
