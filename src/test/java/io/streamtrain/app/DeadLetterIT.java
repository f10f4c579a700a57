package io.streamtrain.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.data.LabeledImages;
import io.streamtrain.data.Split;
import io.streamtrain.kafka.FeedHeaders;
import io.streamtrain.records.DeadLetters;
import io.streamtrain.registry.WireFormat;
import io.streamtrain.schema.ImageEncoding;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.MetricKind;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.Prediction;
import io.streamtrain.schema.TrainingMetric;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/**
 * Every kind of unusable record a foreign producer can put on the dataset topic, mixed among valid
 * ones and replayed for two epochs: each bad record lands in images.dlq once per epoch with its
 * original key, bytes and headers plus the error headers, each kind is counted, every valid record
 * is trained on, and the trainer runs to its end.
 *
 * <p>NaN-producing pixels cannot be expressed: every encoding of LabeledImage (RAW, PNG, JPEG) is
 * uint8, so ToTensor yields values in [0, 1]. The trainer's numerical guard for a NaN batch is
 * covered by TrainerTest instead.
 */
class DeadLetterIT {
  private static final String CASE = "it.case";
  private static final int VALID = 1000;
  private static final int EPOCHS = 2;

  @Test
  void shouldDeadLetterEveryBadKindWithItsHeadersAndTrainOnEveryValidRecord() {
    try (Scenario s = Scenario.embedded()) {
      s.createTopics();
      Pipeline pipeline = s.pipeline();
      String train = pipeline.names().imagesTrain();
      Map<String, ProducerRecord<byte[], byte[]>> bad = badRecords(pipeline, train);
      List<LabeledImage> valid = new ArrayList<>(Scenario.fashionMnist(Split.TRAIN, VALID));
      valid.add(validPng());
      List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
      var serializer = pipeline.serde(LabeledImage.class).serializer();
      List<ProducerRecord<byte[], byte[]>> badList = new ArrayList<>(bad.values());
      for (int i = 0; i < valid.size(); i++) {
        LabeledImage image = valid.get(i);
        records.add(
            new ProducerRecord<>(train, utf8(image.getId()), serializer.serialize(train, image)));
        if (i % 90 == 45 && !badList.isEmpty()) {
          records.add(badList.remove(0));
        }
      }
      records.addAll(badList);
      s.produceRaw(records);
      s.replay(EPOCHS);

      List<String> args = s.trainCommand(EPOCHS, false, "dlq", s.newDir("state"), Map.of());
      try (Scenario.Child trainer = s.launch("dlq-trainer", args)) {
        assertEquals(0, trainer.awaitExit(Duration.ofMinutes(4)), trainer.describe());
      }

      List<ConsumerRecord<byte[], byte[]>> feed = s.readAll(pipeline.names().trainFeed());
      List<ConsumerRecord<byte[], byte[]>> dlq = s.readAll(pipeline.names().imagesDlq());
      assertEquals(EPOCHS * bad.size(), dlq.size(), "one dead letter per bad record and epoch");
      Map<String, Integer> perKind = new HashMap<>();
      for (ConsumerRecord<byte[], byte[]> letter : dlq) {
        String kind = header(letter.headers(), CASE);
        assertNotNull(kind, "original headers are kept");
        ProducerRecord<byte[], byte[]> original = bad.get(kind);
        assertArrayEquals(original.key(), letter.key(), kind + ": original key");
        assertArrayEquals(original.value(), letter.value(), kind + ": original bytes");
        assertEquals(kind, header(letter.headers(), DeadLetters.KIND));
        assertFalse(header(letter.headers(), DeadLetters.EXCEPTION).isBlank(), kind);
        assertFalse(header(letter.headers(), DeadLetters.MESSAGE).isBlank(), kind);
        assertEquals(pipeline.names().trainFeed(), header(letter.headers(), DeadLetters.TOPIC));
        assertEquals("0", header(letter.headers(), DeadLetters.PARTITION));
        long offset = Long.parseLong(header(letter.headers(), DeadLetters.OFFSET));
        ConsumerRecord<byte[], byte[]> source = feed.get((int) offset);
        assertEquals(offset, source.offset());
        assertArrayEquals(original.key(), source.key(), kind + ": offset names the bad record");
        assertEquals(
            FeedHeaders.epoch(source.headers()).getAsInt(),
            Integer.parseInt(header(letter.headers(), FeedHeaders.EPOCH)));
        perKind.merge(kind, 1, Integer::sum);
      }
      for (String kind : bad.keySet()) {
        assertEquals(EPOCHS, perKind.getOrDefault(kind, 0), kind + " once per epoch");
      }

      List<ModelSnapshot> snapshots = s.snapshots("dlq");
      ModelSnapshot last = snapshots.get(snapshots.size() - 1);
      assertTrue(last.getEpochComplete() && last.getEpoch() == EPOCHS);
      Map<String, Double> metrics = last.getMetrics();
      for (String kind : bad.keySet()) {
        assertEquals(
            EPOCHS, metrics.getOrDefault("deadLetters." + kind, 0.0), kind + " in " + metrics);
      }
      assertEquals(
          (double) EPOCHS * valid.size(),
          metrics.get("examplesTrained"),
          "every valid record trained on, once per epoch");
      // 1001 valid records per epoch in windows of 512: 8 + 8 steps.
      assertEquals(EPOCHS * 16L, last.getVersion());

      var metricDeserializer = pipeline.serde(TrainingMetric.class).deserializer();
      Map<String, Long> reported = new HashMap<>();
      for (ConsumerRecord<byte[], byte[]> r : s.readAll(pipeline.names().trainingMetrics())) {
        TrainingMetric m = metricDeserializer.deserialize("", r.value());
        if (m.getKind() == MetricKind.DEAD_LETTER) {
          reported.merge(m.getDetail(), m.getCount(), Math::max);
        }
      }
      for (String kind : bad.keySet()) {
        assertEquals(EPOCHS, reported.getOrDefault(kind, 0L), kind + " in " + reported);
      }
    }
  }

  /** One record per kind of problem, keyed bad-KIND and tagged with a header it.case=KIND. */
  private static Map<String, ProducerRecord<byte[], byte[]>> badRecords(
      Pipeline pipeline, String topic) {
    var images = pipeline.serde(LabeledImage.class).serializer();
    Function<LabeledImage, byte[]> ser = image -> images.serialize(topic, image);
    byte[] good = ser.apply(raw("good", 28, 28, new byte[784], 3));
    int imageSchemaId = ByteBuffer.wrap(good, 1, 4).getInt();
    Map<String, byte[]> values = new LinkedHashMap<>();
    values.put("wrong-magic-byte", utf8("{\"id\":\"json\",\"label\":3}"));
    values.put("unknown-schema-id", WireFormat.frame(imageSchemaId + 4242, WireFormat.body(good)));
    Prediction prediction =
        Prediction.newBuilder()
            .setId("p")
            .setLabel(1)
            .setClassName("Trouser")
            .setProbabilities(List.of(0.1f, 0.9f))
            .setModelVersion(3)
            .build();
    values.put(
        "wrong-record-type",
        pipeline.serde(Prediction.class).serializer().serialize("predictions", prediction));
    values.put("truncated-avro", Arrays.copyOf(good, good.length / 2));
    values.put("empty-value", null);
    values.put("data-length-mismatch", ser.apply(raw("short", 28, 28, new byte[700], 3)));
    values.put("shape-not-accepted", ser.apply(raw("big", 32, 32, new byte[1024], 3)));
    values.put("label-out-of-range", ser.apply(raw("label10", 28, 28, new byte[784], 10)));
    values.put("label-missing", ser.apply(raw("nolabel", 28, 28, new byte[784], null)));
    LabeledImage garbagePng =
        LabeledImage.newBuilder(raw("png", 28, 28, new byte[784], 3))
            .setEncoding(ImageEncoding.PNG)
            .setData(ByteBuffer.wrap(truncatedPng()))
            .build();
    values.put("undecodable-image", ser.apply(garbagePng));
    Map<String, ProducerRecord<byte[], byte[]>> records = new LinkedHashMap<>();
    values.forEach(
        (kind, value) -> {
          Headers headers = new RecordHeaders().add(CASE, utf8(kind));
          records.put(kind, new ProducerRecord<>(topic, null, utf8("bad-" + kind), value, headers));
        });
    return records;
  }

  private static LabeledImage raw(String id, int h, int w, byte[] pixels, Integer label) {
    return LabeledImage.newBuilder()
        .setId(id)
        .setHeight(h)
        .setWidth(w)
        .setChannels(1)
        .setEncoding(ImageEncoding.RAW)
        .setData(ByteBuffer.wrap(pixels))
        .setLabel(label)
        .build();
  }

  /** A valid 28x28 grayscale PNG: PNG records are trained on like RAW ones. */
  private static LabeledImage validPng() {
    BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < 28; y++) {
      for (int x = 0; x < 28; x++) {
        image.getRaster().setSample(x, y, 0, (x * 9) & 0xff);
      }
    }
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", png);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return LabeledImages.fromEncoded(png.toByteArray(), "valid-png", 8, "Bag", "generated");
  }

  /** The PNG signature and the first bytes of a header chunk, then nothing: not decodable. */
  private static byte[] truncatedPng() {
    return new byte[] {
      (byte) 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0
    };
  }

  private static String header(Headers headers, String name) {
    Header h = headers.lastHeader(name);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
