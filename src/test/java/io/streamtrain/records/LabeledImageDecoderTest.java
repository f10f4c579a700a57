package io.streamtrain.records;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.data.ImageShape;
import io.streamtrain.data.ImageTransforms;
import io.streamtrain.registry.AvroDeserializer;
import io.streamtrain.registry.AvroSerde;
import io.streamtrain.registry.MockSchemaRegistry;
import io.streamtrain.registry.RegisteredSchema;
import io.streamtrain.registry.SchemaRegistryClient;
import io.streamtrain.registry.SchemaRegistryException;
import io.streamtrain.registry.WireFormat;
import io.streamtrain.schema.ImageEncoding;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.Prediction;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Each way a training record's bytes can be unusable has its own dead-letter kind. */
class LabeledImageDecoderTest {
  private static final ImageShape SHAPE = new ImageShape(2, 2, 1);
  private final String scope = "decoder-test-" + UUID.randomUUID();
  private final MockSchemaRegistry registry = MockSchemaRegistry.forScope(scope);
  private final AvroSerde<LabeledImage> images = AvroSerde.of(LabeledImage.class, registry, false);
  private final LabeledImageDecoder decoder =
      new LabeledImageDecoder(images.deserializer(), "feed", SHAPE, 10);

  @AfterEach
  void dropScope() {
    MockSchemaRegistry.dropScope(scope);
  }

  private static LabeledImage image(int h, int w, int bytes, Integer label) {
    return LabeledImage.newBuilder()
        .setId("i")
        .setHeight(h)
        .setWidth(w)
        .setChannels(1)
        .setEncoding(ImageEncoding.RAW)
        .setData(ByteBuffer.wrap(new byte[bytes]))
        .setLabel(label)
        .build();
  }

  private byte[] bytes(LabeledImage image) {
    return images.serializer().serialize("feed", image);
  }

  private String kindOf(byte[] value) {
    return assertThrows(InvalidRecordException.class, () -> decoder.decode(value)).kind();
  }

  @Test
  void shouldDecodeIntoABufferAsDecodeDoesRecordAfterRecord() throws InvalidRecordException {
    LabeledImage first = image(2, 2, 4, 3);
    first.setData(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}));
    first.setEpoch(7);
    LabeledImage second = image(2, 2, 4, 9);
    second.setData(ByteBuffer.wrap(new byte[] {(byte) 200, 0, 5, 6}));
    byte[] tooLong = bytes(image(2, 2, 5, 1));
    byte[] dst = new byte[12];

    assertEquals(7, decoder.decodeInto(bytes(first), 1, 0, 10, dst, 2));
    assertArrayEquals(new byte[] {0, 0, 3, 1, 2, 3, 4, 0, 0, 0, 0, 0}, dst);
    assertThrows(InvalidRecordException.class, () -> decoder.decodeInto(tooLong, 1, 0, 11, dst, 7));
    // The reused record carries nothing over: no epoch here, other pixels and label.
    assertEquals(ExampleDecoder.NO_EPOCH, decoder.decodeInto(bytes(second), 1, 0, 12, dst, 7));
    assertArrayEquals(new byte[] {9, (byte) 200, 0, 5, 6}, Arrays.copyOfRange(dst, 7, 12));
    ExampleDecoder.Example decoded = decoder.decode(bytes(second));
    assertArrayEquals(Arrays.copyOfRange(dst, 7, 12), decoded.bytes());
    assertEquals(null, decoded.epoch());
    assertEquals(7, decoder.decode(bytes(first)).epoch());
  }

  @Test
  void shouldNameEveryKindOfBadRecord() throws InvalidRecordException {
    byte[] good = bytes(image(2, 2, 4, 3));
    assertEquals(3, decoder.decode(good).bytes()[0]);
    int id = ByteBuffer.wrap(good, 1, 4).getInt();
    Prediction prediction =
        Prediction.newBuilder()
            .setId("p")
            .setLabel(1)
            .setClassName("x")
            .setProbabilities(List.of(1f))
            .setModelVersion(1)
            .build();
    byte[] otherType =
        AvroSerde.of(Prediction.class, registry, false).serializer().serialize("p", prediction);

    assertEquals("empty-value", kindOf(null));
    assertEquals("empty-value", kindOf(new byte[0]));
    assertEquals("truncated-framing", kindOf(new byte[] {0, 0, 1}));
    assertEquals("wrong-magic-byte", kindOf("{\"id\":1}".getBytes(StandardCharsets.UTF_8)));
    assertEquals("unknown-schema-id", kindOf(WireFormat.frame(id + 99, WireFormat.body(good))));
    assertEquals("wrong-record-type", kindOf(otherType));
    assertEquals("truncated-avro", kindOf(Arrays.copyOf(good, good.length - 3)));
    assertEquals("data-length-mismatch", kindOf(bytes(image(2, 2, 3, 3))));
    assertEquals("shape-not-accepted", kindOf(bytes(image(3, 3, 9, 3))));
    assertEquals("label-out-of-range", kindOf(bytes(image(2, 2, 4, 10))));
    assertEquals("label-missing", kindOf(bytes(image(2, 2, 4, null))));
  }

  @Test
  void shouldCheckAnEncodedImagesHeaderAgainstTheRecordAndTheLimit() throws InvalidRecordException {
    LabeledImage png2 = png(2, 2, 2, 2);
    assertEquals(5, decoder.decode(bytes(png2)).bytes()[0]);
    assertEquals("encoded-shape-mismatch", kindOf(bytes(png(2, 2, 3, 3))));
    assertEquals("encoded-shape-mismatch", kindOf(bytes(png(2, 2, 2, 3))));
    LabeledImage claimsJpeg = LabeledImage.newBuilder(png2).setEncoding(ImageEncoding.JPEG).build();
    assertEquals("undecodable-image", kindOf(bytes(claimsJpeg)));
    assertEquals("invalid-dimensions", kindOf(bytes(image(0, 2, 0, 3))));

    LabeledImageDecoder limited =
        new LabeledImageDecoder(images.deserializer(), "feed", SHAPE, 10, 3);
    InvalidRecordException e =
        assertThrows(InvalidRecordException.class, () -> limited.decode(bytes(png2)));
    assertEquals("image-too-large", e.kind());
    assertEquals(
        "PNG header declares 2x2x1 (4 pixels), more than the limit of 3 (max-image-pixels)",
        e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> new LabeledImageDecoder(images.deserializer(), "feed", SHAPE, 10, 0));
  }

  /** A record saying {@code h} x {@code w} x 1 whose PNG is {@code pngH} x {@code pngW}. */
  private static LabeledImage png(int h, int w, int pngH, int pngW) {
    java.awt.image.BufferedImage gray =
        new java.awt.image.BufferedImage(pngW, pngH, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try {
      javax.imageio.ImageIO.write(gray, "png", out);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return LabeledImage.newBuilder(image(h, w, 0, 5))
        .setEncoding(ImageEncoding.PNG)
        .setData(ByteBuffer.wrap(out.toByteArray()))
        .build();
  }

  @Test
  void shouldNotDeadLetterAValidRecordWhileTheRegistryCannotBeReached() {
    byte[] good = bytes(image(2, 2, 4, 3));
    SchemaRegistryClient down =
        new SchemaRegistryClient() {
          @Override
          public int register(String subject, Schema schema) {
            throw unreachable();
          }

          @Override
          public RegisteredSchema lookup(String subject, Schema schema) {
            throw unreachable();
          }

          @Override
          public Schema getById(int id) {
            throw unreachable();
          }

          @Override
          public RegisteredSchema getLatest(String subject) {
            throw unreachable();
          }

          @Override
          public RegisteredSchema getVersion(String subject, int version) {
            throw unreachable();
          }

          @Override
          public List<String> subjects() {
            throw unreachable();
          }

          @Override
          public List<Integer> versions(String subject) {
            throw unreachable();
          }

          @Override
          public String url() {
            return "http://registry:8081";
          }

          private SchemaRegistryException unreachable() {
            return new SchemaRegistryException(
                "Schema Registry at http://registry:8081 is unreachable", 0, -1);
          }
        };
    LabeledImageDecoder cut =
        new LabeledImageDecoder(
            new AvroDeserializer<>(LabeledImage.class, down), "feed", SHAPE, 10);

    SchemaRegistryException e = assertThrows(SchemaRegistryException.class, () -> cut.decode(good));
    assertEquals(0, e.httpStatus());
  }

  @Test
  void shouldResizeAnyImageToTheModelsInputWhenTransformsSaySo() throws Exception {
    LabeledImageDecoder resizing =
        new LabeledImageDecoder(images.deserializer(), "feed", SHAPE, 10)
            .transforms(ImageTransforms.parse("resize:2x2,normalize:0.5:0.5"), 42, false);
    LabeledImage big =
        LabeledImage.newBuilder(image(4, 4, 16, 3))
            .setData(
                ByteBuffer.wrap(
                    new byte[] {
                      (byte) 255,
                      (byte) 255,
                      0,
                      0,
                      (byte) 255,
                      (byte) 255,
                      0,
                      0,
                      0,
                      0,
                      (byte) 255,
                      (byte) 255,
                      0,
                      0,
                      (byte) 255,
                      (byte) 255
                    }))
            .build();

    byte[] example = resizing.decode(bytes(big)).bytes();
    float[] x = new float[4];
    resizing.toTensor(example, 1, x, 0);

    assertEquals(3, example[0]);
    // 4 -> 2 averages each 2x2 block (no antialias needed): 255, 0 / 0, 255; then (v - 0.5) / 0.5.
    assertArrayEquals(new float[] {1f, -1f, -1f, 1f}, x);
    assertEquals(
        "shape-not-accepted",
        assertThrows(InvalidRecordException.class, () -> decoder.decode(bytes(big))).kind(),
        "without transforms a 4x4 image does not fit a 2x2 model");
  }

  @Test
  void shouldLearnClassNamesFromTheRecordsKeepingTheFirstNamePerLabel() throws Exception {
    ClassNames names = new ClassNames(10);
    LabeledImageDecoder naming =
        new LabeledImageDecoder(images.deserializer(), "feed", SHAPE, 10).classNames(names);

    naming.decode(bytes(LabeledImage.newBuilder(image(2, 2, 4, 2)).setClassName("cat").build()));
    naming.decode(bytes(LabeledImage.newBuilder(image(2, 2, 4, 0)).setClassName("ant").build()));
    naming.decode(bytes(LabeledImage.newBuilder(image(2, 2, 4, 2)).setClassName("dog").build()));
    naming.decode(bytes(image(2, 2, 4, 1)));

    assertEquals(List.of("ant", "", "cat"), names.list(), "first name kept, unknown label empty");
    assertEquals("cat", ClassNames.nameOf(names.list(), 10, 2));
    assertEquals("1", ClassNames.nameOf(names.list(), 10, 1), "an unknown name is the label");
    assertEquals("Sneaker", ClassNames.nameOf(List.of(), 10, 7), "no names, 10 classes");
    assertEquals("7", ClassNames.nameOf(List.of(), 12, 7));
  }

  @Test
  void shouldAugmentTheFeedAsAFunctionOfSeedEpochAndFeedPosition() throws Exception {
    ImageShape shape = new ImageShape(6, 6, 1);
    byte[] pixels = new byte[36];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (byte) (i * 7 + 1);
    }
    byte[] value =
        bytes(LabeledImage.newBuilder(image(6, 6, 36, 1)).setData(ByteBuffer.wrap(pixels)).build());
    ImageTransforms t = ImageTransforms.parse("crop:2,hflip");
    LabeledImageDecoder feed =
        new LabeledImageDecoder(images.deserializer(), "feed", shape, 10).transforms(t, 42, true);
    LabeledImageDecoder serving =
        new LabeledImageDecoder(images.deserializer(), "feed", shape, 10).transforms(t, 42, false);

    byte[] first = feed.decode(value, 2, 0, 1000).bytes();
    assertArrayEquals(first, feed.decode(value, 2, 0, 1000).bytes(), "a replay: same pixels");
    java.util.Set<String> others = new java.util.HashSet<>();
    for (long offset = 0; offset < 16; offset++) {
      others.add(Arrays.toString(feed.decode(value, 2, 0, offset).bytes()));
    }
    assertTrue(others.size() > 1, "other offsets draw other crops and flips");
    byte[] plain = serving.decode(value, 2, 0, 1000).bytes();
    assertArrayEquals(pixels, Arrays.copyOfRange(plain, 1, plain.length), "no augmentation");
  }
}
