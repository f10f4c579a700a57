package io.streamtrain.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.registry.RecordDecodingException.Reason;
import io.streamtrain.schema.ImageEncoding;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.Prediction;
import io.streamtrain.schema.TrainingMetric;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {
  private final String scope = "serde-test-" + UUID.randomUUID();
  private final SchemaRegistryClient registry =
      SchemaRegistries.forUrl("mock://" + scope, Map.of());
  private final String topic = "images.train-" + UUID.randomUUID();

  @AfterEach
  void dropScope() {
    MockSchemaRegistry.dropScope(scope);
  }

  @Test
  void shouldRoundTripEveryGeneratedRecordType() {
    assertRoundTrip(LabeledImage.class, TestRecords.image(7));
    assertRoundTrip(Prediction.class, TestRecords.prediction());
    assertRoundTrip(ModelSnapshot.class, TestRecords.snapshot());
    assertRoundTrip(TrainingMetric.class, TestRecords.metric());
  }

  @Test
  void shouldWriteConfluentFramedGoldenBytes() {
    LabeledImage tiny =
        LabeledImage.newBuilder()
            .setId("a")
            .setHeight(1)
            .setWidth(2)
            .setChannels(1)
            .setEncoding(ImageEncoding.RAW)
            .setData(ByteBuffer.wrap(new byte[] {1, 2}))
            .setLabel(3)
            .build();
    byte[] expected = {
      0, 0, 0, 0, 1, // magic byte, schema id 1 (the first id of a fresh registry)
      0x02, 'a', // id "a"
      0x02, 0x04, 0x02, // height 1, width 2, channels 1
      0x00, // encoding RAW (enum index 0)
      0x04, 1, 2, // data: length 2, bytes
      0x02, 0x06, // label: union branch 1, int 3
      0x00, 0x00, 0x00, 0x00, // className, source, eventTime, epoch: union branch 0 (null)
    };

    byte[] bytes = serde(LabeledImage.class, false).serializer().serialize(topic, tiny);

    assertArrayEquals(expected, bytes);
  }

  @Test
  void shouldRegisterUnderTopicNameStrategySubjects() {
    serde(LabeledImage.class, false).serializer().serialize(topic, TestRecords.image(1));
    serde(LabeledImage.class, true).serializer().serialize(topic, TestRecords.image(1));

    assertEquals(List.of(topic + "-key", topic + "-value"), registry.subjects());
  }

  @Test
  void shouldReuseOneIdForOneSchemaAcrossTopics() {
    byte[] first =
        serde(Prediction.class, false).serializer().serialize("a", TestRecords.prediction());
    byte[] second =
        serde(Prediction.class, false).serializer().serialize("b", TestRecords.prediction());

    assertEquals(WireFormat.schemaId(first), WireFormat.schemaId(second));
    assertEquals(1, registry.getLatest("b-value").version());
  }

  @Test
  void shouldRegisterSchemaWithoutJavaOnlyProperties() {
    int id =
        WireFormat.schemaId(
            serde(LabeledImage.class, false).serializer().serialize(topic, TestRecords.image(1)));

    assertFalse(registry.getById(id).toString().contains("avro.java.string"));
    assertEquals(
        AvroSchemas.withoutJavaProperties(LabeledImage.getClassSchema()), registry.getById(id));
  }

  @Test
  void shouldPassNullThroughAsTombstone() {
    AvroSerde<LabeledImage> serde = serde(LabeledImage.class, false);

    assertNull(serde.serializer().serialize(topic, null));
    assertNull(serde.deserializer().deserialize(topic, null));
  }

  @Test
  void shouldRejectUnknownSchemaId() {
    byte[] framed = WireFormat.frame(42, new byte[] {0x02, 'a'});

    SerializationException e = refusedAsImage(framed);
    assertEquals("Schema id 42 is not in the registry", e.getMessage());
  }

  @Test
  void shouldRejectRecordOfAnotherType() {
    byte[] prediction =
        serde(Prediction.class, false).serializer().serialize(topic, TestRecords.prediction());
    int id = WireFormat.schemaId(prediction);

    SerializationException e = refusedAsImage(prediction);
    assertEquals(
        "Schema id "
            + id
            + " is io.streamtrain.schema.Prediction, not readable as "
            + "io.streamtrain.schema.LabeledImage",
        e.getMessage());
  }

  @Test
  void shouldRejectTruncatedAvroBody() {
    byte[] truncated = Arrays.copyOf(imageBytes(), 40);

    SerializationException e = refusedAsImage(truncated);
    assertEquals(
        "Truncated Avro body: 35 bytes are too few for schema id 1"
            + " (io.streamtrain.schema.LabeledImage): a bytes field declares 784 bytes where 21"
            + " remain",
        e.getMessage());
  }

  @Test
  void shouldRejectTrailingBytes() {
    byte[] bytes = imageBytes();
    byte[] longer = Arrays.copyOf(bytes, bytes.length + 2);

    SerializationException e = refusedAsImage(longer);
    assertTrue(e.getMessage().contains("has trailing bytes"), e.getMessage());
  }

  @Test
  void shouldRejectUnframedRecord() {
    byte[] json = "{\"id\":\"a\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    SerializationException e =
        assertThrows(
            SerializationException.class,
            () -> serde(LabeledImage.class, false).deserializer().deserialize(topic, json));
    assertEquals(
        "Unknown magic byte 0x7b (expected 0x00: not Confluent-framed Avro)", e.getMessage());
  }

  @Test
  void shouldClassifyEveryDecodingFailure() {
    AvroSerde<LabeledImage> serde = serde(LabeledImage.class, false);
    byte[] image = serde.serializer().serialize(topic, TestRecords.image(3));
    byte[] prediction =
        serde(Prediction.class, false).serializer().serialize(topic, TestRecords.prediction());
    byte[] corrupt = image.clone();
    corrupt[5] = 0x01; // the id string's length becomes -1

    assertEquals(Reason.RECORD_TOO_SHORT, reasonFor(serde, new byte[] {0, 0}));
    assertEquals(Reason.UNKNOWN_MAGIC_BYTE, reasonFor(serde, new byte[] {1, 0, 0, 0, 1}));
    assertEquals(Reason.UNKNOWN_SCHEMA_ID, reasonFor(serde, WireFormat.frame(99, new byte[1])));
    assertEquals(Reason.WRONG_RECORD_TYPE, reasonFor(serde, prediction));
    assertEquals(Reason.TRUNCATED_BODY, reasonFor(serde, Arrays.copyOf(image, 40)));
    assertEquals(Reason.CORRUPT_BODY, reasonFor(serde, corrupt));
    assertEquals(Reason.TRAILING_BYTES, reasonFor(serde, Arrays.copyOf(image, image.length + 1)));
    assertEquals("unknown-schema-id", Reason.UNKNOWN_SCHEMA_ID.kind());
  }

  private Reason reasonFor(AvroSerde<LabeledImage> serde, byte[] bytes) {
    return assertThrows(
            RecordDecodingException.class, () -> serde.deserializer().deserialize(topic, bytes))
        .reason();
  }

  @Test
  void shouldRejectRecordMissingRequiredField() {
    LabeledImage incomplete = TestRecords.image(1);
    incomplete.setId(null);

    SerializationException e =
        assertThrows(
            SerializationException.class,
            () -> serde(LabeledImage.class, false).serializer().serialize(topic, incomplete));
    assertTrue(
        e.getMessage().startsWith("Cannot serialize io.streamtrain.schema.LabeledImage for topic "),
        e.getMessage());
  }

  @Test
  void shouldReadRecordWrittenWithOlderSchemaVersion() throws IOException {
    Schema older =
        AvroSchemas.parse(
            "{\"type\":\"record\",\"name\":\"LabeledImage\","
                + "\"namespace\":\"io.streamtrain.schema\","
                + "\"fields\":[{\"name\":\"id\",\"type\":\"string\"},"
                + "{\"name\":\"height\",\"type\":\"int\"},{\"name\":\"width\",\"type\":\"int\"},"
                + "{\"name\":\"channels\",\"type\":\"int\"},"
                + "{\"name\":\"encoding\",\"type\":{\"type\":\"enum\",\"name\":\"ImageEncoding\","
                + "\"symbols\":[\"RAW\",\"PNG\",\"JPEG\"]}},{\"name\":\"data\",\"type\":\"bytes\"},"
                + "{\"name\":\"label\",\"type\":[\"null\",\"int\"],\"default\":null}]}");
    int id = registry.register(topic + "-value", older);
    GenericRecord record = TestSchemas.oneByOneImage(older, "old-1", "PNG", new byte[] {9});
    record.put("label", 4);

    LabeledImage image =
        serde(LabeledImage.class, false)
            .deserializer()
            .deserialize(topic, WireFormat.frame(id, TestSchemas.avroBody(record)));

    assertEquals("old-1", image.getId());
    assertEquals(ImageEncoding.PNG, image.getEncoding());
    assertEquals(4, image.getLabel());
    assertNull(image.getEpoch());
    assertNull(image.getClassName());
  }

  @Test
  void shouldRefuseToSerializeUnregisteredSchemaWhenAutoRegisterIsOff() {
    AvroSerializer<LabeledImage> serializer = new AvroSerializer<>();
    serializer.configure(
        Map.of(
            SchemaRegistryConfig.URL,
            "mock://" + scope,
            SchemaRegistryConfig.AUTO_REGISTER_SCHEMAS,
            "false"),
        false);
    registry.register(topic + "-value", Prediction.getClassSchema());

    SerializationException e =
        assertThrows(
            SerializationException.class, () -> serializer.serialize(topic, TestRecords.image(1)));
    assertEquals(
        "Schema io.streamtrain.schema.LabeledImage is not registered under subject "
            + topic
            + "-value at mock://"
            + scope
            + " and auto.register.schemas=false: register it first",
        e.getMessage());
  }

  @Test
  void shouldWorkAsPlainKafkaSerializerAndDeserializerConfiguredByUrl() {
    Map<String, Object> config = Map.of(SchemaRegistryConfig.URL, "mock://" + scope);
    Serializer<LabeledImage> serializer = new AvroSerializer<>();
    serializer.configure(config, false);
    Deserializer<LabeledImage> byWriterSchema = new AvroDeserializer<>();
    byWriterSchema.configure(config, false);
    Deserializer<LabeledImage> byConfiguredType = new AvroDeserializer<>();
    byConfiguredType.configure(
        Map.of(
            SchemaRegistryConfig.URL,
            "mock://" + scope,
            SchemaRegistryConfig.SPECIFIC_VALUE_TYPE,
            LabeledImage.class.getName()),
        false);

    byte[] bytes = serializer.serialize(topic, TestRecords.image(5));

    assertEquals(TestRecords.image(5), byWriterSchema.deserialize(topic, bytes));
    assertEquals(TestRecords.image(5), byConfiguredType.deserialize(topic, bytes));
  }

  @Test
  void shouldConfigureSerdeFromRegistryUrl() {
    AvroSerde<Prediction> serde = new AvroSerde<>(Prediction.class);
    serde.configure(Map.of(SchemaRegistryConfig.URL, "mock://" + scope), false);

    byte[] bytes = serde.serializer().serialize(topic, TestRecords.prediction());

    assertEquals(TestRecords.prediction(), serde.deserializer().deserialize(topic, bytes));
  }

  @Test
  void shouldRoundTripSixtyThousandImages() {
    AvroSerde<LabeledImage> serde = serde(LabeledImage.class, false);
    List<LabeledImage> images = new ArrayList<>();
    for (int i = 0; i < 60_000; i++) {
      images.add(TestRecords.image(i));
    }
    long start = System.nanoTime();
    List<byte[]> encoded = new ArrayList<>(images.size());
    for (LabeledImage image : images) {
      encoded.add(serde.serializer().serialize(topic, image));
    }
    long serialized = System.nanoTime();
    int matching = 0;
    for (int i = 0; i < encoded.size(); i++) {
      if (serde.deserializer().deserialize(topic, encoded.get(i)).equals(images.get(i))) {
        matching++;
      }
    }
    long deserialized = System.nanoTime();
    // A figure for the report, not an assertion: timings belong to benchmarks.
    System.err.printf(
        "AvroSerde: 60,000 LabeledImage (784-byte data) serialized in %d ms, deserialized in %d"
            + " ms%n",
        (serialized - start) / 1_000_000, (deserialized - serialized) / 1_000_000);

    assertEquals(60_000, matching);
  }

  private <T extends SpecificRecord> AvroSerde<T> serde(Class<T> type, boolean isKey) {
    return AvroSerde.of(type, registry, isKey);
  }

  /** A LabeledImage as the serde frames it. */
  private byte[] imageBytes() {
    return serde(LabeledImage.class, false).serializer().serialize(topic, TestRecords.image(3));
  }

  /** Why {@code bytes} cannot be read as a LabeledImage. */
  private SerializationException refusedAsImage(byte[] bytes) {
    return assertThrows(
        SerializationException.class,
        () -> serde(LabeledImage.class, false).deserializer().deserialize(topic, bytes));
  }

  private <T extends SpecificRecord> void assertRoundTrip(Class<T> type, T record) {
    AvroSerde<T> serde = serde(type, false);
    byte[] bytes = serde.serializer().serialize(topic, record);
    assertEquals(record, serde.deserializer().deserialize(topic, bytes));
  }
}
