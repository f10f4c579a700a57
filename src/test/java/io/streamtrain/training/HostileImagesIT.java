package io.streamtrain.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.app.Pipeline;
import io.streamtrain.app.Scenario;
import io.streamtrain.app.TestPipelines;
import io.streamtrain.data.HostileImages;
import io.streamtrain.records.DeadLetters;
import io.streamtrain.registry.WireFormat;
import io.streamtrain.schema.ImageEncoding;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.ModelSnapshot;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/**
 * Hostile records mixed into two replayed epochs of small generated data, trained by a real {@code
 * train} process under the fixed heap {@link Scenario#launch} gives it (768 MB): PNG and JPEG
 * headers declaring 40,000 x 40,000 pixels (1.6 GB of grey if decoded), headers that lie about the
 * record's shape, truncated files, an Avro length claiming 2 GB. Each is dead-lettered with its
 * kind once per epoch, the trainer runs to its end, and every valid record is trained on, including
 * a PNG carrying 512 MiB of compressed text that must not be inflated.
 */
class HostileImagesIT {
  private static final String CASE = "it.case";
  private static final int VALID = 600;
  private static final int EPOCHS = 2;

  @Test
  void shouldDeadLetterEveryHostileImageAndTrainEveryValidOneUnderAFixedHeap() throws Exception {
    try (Scenario s = Scenario.embedded()) {
      s.createTopics();
      Pipeline pipeline = s.pipeline();
      String train = pipeline.names().imagesTrain();
      var serializer = pipeline.serde(LabeledImage.class).serializer();

      List<LabeledImage> valid = new ArrayList<>(TestPipelines.images("valid", VALID, 11));
      byte[] png = HostileImages.encode(gray(28, 28), "png");
      byte[] jpeg = HostileImages.encode(gray(28, 28), "jpeg");
      valid.add(encoded("valid-png", ImageEncoding.PNG, 28, 28, png));
      valid.add(encoded("valid-jpeg", ImageEncoding.JPEG, 28, 28, jpeg));
      valid.add(
          encoded(
              "text-bomb-png",
              ImageEncoding.PNG,
              28,
              28,
              HostileImages.withCompressedText(png, 512 << 20)));

      Map<String, String> expectedKind = new LinkedHashMap<>();
      Map<String, byte[]> hostile = new LinkedHashMap<>();
      byte[] pngBomb = HostileImages.png(40_000, 40_000, 0, HostileImages.deflatedZeros(16 << 20));
      byte[] jpegBomb = HostileImages.withJpegSize(jpeg, 40_000, 40_000);
      add(
          hostile,
          expectedKind,
          "png-bomb",
          "image-too-large",
          encoded("png-bomb", ImageEncoding.PNG, 28, 28, pngBomb),
          serializer,
          train);
      add(
          hostile,
          expectedKind,
          "jpeg-bomb",
          "image-too-large",
          encoded("jpeg-bomb", ImageEncoding.JPEG, 28, 28, jpegBomb),
          serializer,
          train);
      add(
          hostile,
          expectedKind,
          "png-bomb-declared",
          "shape-not-accepted",
          encoded("png-bomb-declared", ImageEncoding.PNG, 40_000, 40_000, pngBomb),
          serializer,
          train);
      add(
          hostile,
          expectedKind,
          "png-lie",
          "encoded-shape-mismatch",
          encoded("png-lie", ImageEncoding.PNG, 28, 28, HostileImages.encode(gray(20, 20), "png")),
          serializer,
          train);
      add(
          hostile,
          expectedKind,
          "jpeg-lie",
          "undecodable-image",
          encoded(
              "jpeg-lie",
              ImageEncoding.JPEG,
              28,
              28,
              HostileImages.withJpegSize(HostileImages.encode(gray(8, 8), "jpeg"), 28, 28)),
          serializer,
          train);
      add(
          hostile,
          expectedKind,
          "truncated-png",
          "undecodable-image",
          encoded("truncated-png", ImageEncoding.PNG, 28, 28, Arrays.copyOf(png, png.length / 2)),
          serializer,
          train);
      add(
          hostile,
          expectedKind,
          "truncated-jpeg",
          "undecodable-image",
          encoded(
              "truncated-jpeg", ImageEncoding.JPEG, 28, 28, Arrays.copyOf(jpeg, jpeg.length - 24)),
          serializer,
          train);
      add(
          hostile,
          expectedKind,
          "zero-height",
          "invalid-dimensions",
          encoded("zero-height", ImageEncoding.PNG, 0, 28, png),
          serializer,
          train);
      byte[] good = serializer.serialize(train, valid.get(0));
      hostile.put("avro-length-lie", WireFormat.frame(schemaId(good), twoGigabyteData()));
      expectedKind.put("avro-length-lie", "truncated-avro");

      List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
      List<String> cases = new ArrayList<>(hostile.keySet());
      for (int i = 0; i < valid.size(); i++) {
        LabeledImage image = valid.get(i);
        records.add(
            new ProducerRecord<>(train, utf8(image.getId()), serializer.serialize(train, image)));
        if (i % 50 == 25 && !cases.isEmpty()) {
          String name = cases.remove(0);
          records.add(hostileRecord(train, name, hostile.get(name)));
        }
      }
      cases.forEach(name -> records.add(hostileRecord(train, name, hostile.get(name))));
      s.produceRaw(records);
      s.replay(EPOCHS);

      List<String> args = s.trainCommand(EPOCHS, false, "hostile", s.newDir("state"), Map.of());
      try (Scenario.Child trainer = s.launch("hostile-trainer", args)) {
        assertEquals(0, trainer.awaitExit(Duration.ofMinutes(4)), trainer.describe());
        assertTrue(!trainer.stderr().contains("OutOfMemoryError"), trainer.describe());
      }

      Map<String, Integer> perCase = new HashMap<>();
      for (ConsumerRecord<byte[], byte[]> letter : s.readAll(pipeline.names().imagesDlq())) {
        String name = header(letter, CASE);
        assertNotNull(name, "only hostile records are dead-lettered, with their headers");
        assertEquals(expectedKind.get(name), header(letter, DeadLetters.KIND), name);
        perCase.merge(name, 1, Integer::sum);
      }
      for (String name : hostile.keySet()) {
        assertEquals(EPOCHS, perCase.getOrDefault(name, 0), name + " once per epoch");
      }

      List<ModelSnapshot> snapshots = s.snapshots("hostile");
      ModelSnapshot last = snapshots.get(snapshots.size() - 1);
      assertTrue(last.getEpochComplete() && last.getEpoch() == EPOCHS, "trained to the end");
      Map<String, Double> metrics = last.getMetrics();
      assertEquals(
          (double) EPOCHS * valid.size(),
          metrics.get("examplesTrained"),
          "every valid record trained on, once per epoch");
      Map<String, Integer> perKind = new HashMap<>();
      expectedKind.values().forEach(kind -> perKind.merge(kind, EPOCHS, Integer::sum));
      perKind.forEach(
          (kind, n) ->
              assertEquals(
                  (double) n,
                  metrics.getOrDefault("deadLetters." + kind, 0.0),
                  kind + " in " + metrics));
    }
  }

  private static void add(
      Map<String, byte[]> hostile,
      Map<String, String> expectedKind,
      String name,
      String kind,
      LabeledImage image,
      org.apache.kafka.common.serialization.Serializer<LabeledImage> serializer,
      String topic) {
    hostile.put(name, serializer.serialize(topic, image));
    expectedKind.put(name, kind);
  }

  private static ProducerRecord<byte[], byte[]> hostileRecord(
      String topic, String name, byte[] value) {
    Headers headers = new RecordHeaders().add(CASE, utf8(name));
    return new ProducerRecord<>(topic, null, utf8("hostile-" + name), value, headers);
  }

  private static LabeledImage encoded(
      String id, ImageEncoding encoding, int height, int width, byte[] data) {
    return LabeledImage.newBuilder()
        .setId(id)
        .setHeight(height)
        .setWidth(width)
        .setChannels(1)
        .setEncoding(encoding)
        .setData(ByteBuffer.wrap(data))
        .setLabel(3)
        .build();
  }

  private static BufferedImage gray(int height, int width) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        image.getRaster().setSample(x, y, 0, (x * 9 + y * 5) & 0xff);
      }
    }
    return image;
  }

  private static int schemaId(byte[] framed) {
    return ByteBuffer.wrap(framed, 1, 4).getInt();
  }

  /** A LabeledImage body whose data field declares 2 GB and holds 16 bytes. */
  private static byte[] twoGigabyteData() throws java.io.IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    encoder.writeString("avro-lie");
    encoder.writeInt(28);
    encoder.writeInt(28);
    encoder.writeInt(1);
    encoder.writeEnum(ImageEncoding.RAW.ordinal());
    encoder.writeLong(Integer.MAX_VALUE - 8);
    encoder.writeFixed(new byte[16]);
    encoder.flush();
    return out.toByteArray();
  }

  private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
    Header h = record.headers().lastHeader(name);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
