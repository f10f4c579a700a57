package io.streamtrain.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.registry.RecordDecodingException.Reason;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.Prediction;
import io.streamtrain.testing.Allocations;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every length an Avro body declares (bytes, strings, array and map item counts, in either block
 * form, read or skipped) is checked against the bytes left in the record before it is used: a lie
 * is a truncated body, refused within an allocation bound measured on this thread.
 */
class AvroDeserializerBoundsTest {
  private static final long HUGE = Integer.MAX_VALUE - 8;
  // Far below what any declared length here would take if allocated (2 GB).
  private static final long ALLOCATION_BOUND = 16L << 20;

  private final String scope = "bounds-test-" + UUID.randomUUID();
  private final SchemaRegistryClient registry =
      SchemaRegistries.forUrl("mock://" + scope, Map.of());

  @AfterEach
  void dropScope() {
    MockSchemaRegistry.dropScope(scope);
  }

  @Test
  void shouldRefuseBytesAndStringsLongerThanTheRecord() {
    int id = idOf(LabeledImage.getClassSchema());
    byte[] data =
        body(
            e -> {
              e.writeString("i");
              e.writeInt(28);
              e.writeInt(28);
              e.writeInt(1);
              e.writeEnum(0);
              e.writeLong(HUGE); // data: 2 GB declared, 3 bytes present
              e.writeFixed(new byte[3]);
            });
    RecordDecodingException e = refused(LabeledImage.class, id, data);
    assertEquals(Reason.TRUNCATED_BODY, e.reason());
    assertTrue(
        e.getMessage().endsWith("a bytes field declares " + HUGE + " bytes where 3 remain"),
        e.getMessage());

    byte[] name = body(e2 -> e2.writeLong(HUGE)); // id: a 2 GB string
    assertEquals(Reason.TRUNCATED_BODY, refused(LabeledImage.class, id, name).reason());

    byte[] negative = body(e2 -> e2.writeLong(-5));
    assertEquals(Reason.CORRUPT_BODY, refused(LabeledImage.class, id, negative).reason());
  }

  @Test
  void shouldRefuseArraysAndMapsWithMoreItemsThanTheRecordHolds() {
    int prediction = idOf(Prediction.getClassSchema());
    byte[] probabilities =
        body(
            e -> {
              e.writeString("p");
              e.writeInt(1);
              e.writeString("x");
              e.writeLong(HUGE); // probabilities: 2^31 floats declared
              e.writeFloat(0.5f);
            });
    RecordDecodingException e = refused(Prediction.class, prediction, probabilities);
    assertEquals(Reason.TRUNCATED_BODY, e.reason());
    assertTrue(
        e.getMessage().endsWith("an array declares " + HUGE + " items where 4 bytes remain"),
        e.getMessage());
    byte[] blockForm =
        body(
            e2 -> {
              e2.writeString("p");
              e2.writeInt(1);
              e2.writeString("x");
              e2.writeLong(-HUGE); // the same count, in the form that gives a block size
              e2.writeLong(4);
              e2.writeFloat(0.5f);
            });
    assertEquals(Reason.TRUNCATED_BODY, refused(Prediction.class, prediction, blockForm).reason());

    int snapshot = idOf(ModelSnapshot.getClassSchema());
    byte[] tensors = body(e2 -> snapshotHead(e2).writeLong(HUGE));
    assertEquals(Reason.TRUNCATED_BODY, refused(ModelSnapshot.class, snapshot, tensors).reason());
    byte[] offsets =
        body(
            e2 -> {
              snapshotHead(e2);
              e2.writeLong(0); // tensors
              e2.writeLong(0); // optimizerState
              e2.writeString("ab");
              e2.writeLong(-1); // windowIndex
              e2.writeInt(0);
              e2.writeBoolean(false);
              e2.writeLong(0); // seed
              e2.writeLong(HUGE); // inputOffsets: a map of 2^31 entries
            });
    RecordDecodingException map = refused(ModelSnapshot.class, snapshot, offsets);
    assertEquals(Reason.TRUNCATED_BODY, map.reason());
    assertTrue(map.getMessage().contains("a map declares"), map.getMessage());
  }

  @Test
  void shouldRefuseASkippedArrayOfMoreItemsThanTheRecordHolds() throws IOException {
    // A writer schema with a field the reader does not know: its array is skipped, not read,
    // and a million zero-byte items in one byte would otherwise be skipped one by one.
    Schema writer =
        new Schema.Parser()
            .parse(
                "{\"type\":\"record\",\"name\":\"LabeledImage\","
                    + "\"namespace\":\"io.streamtrain.schema\",\"fields\":["
                    + "{\"name\":\"id\",\"type\":\"string\"},"
                    + "{\"name\":\"height\",\"type\":\"int\"},"
                    + "{\"name\":\"width\",\"type\":\"int\"},"
                    + "{\"name\":\"channels\",\"type\":\"int\"},"
                    + "{\"name\":\"encoding\",\"type\":{\"type\":\"enum\","
                    + "\"name\":\"ImageEncoding\",\"symbols\":[\"RAW\",\"PNG\",\"JPEG\"]}},"
                    + "{\"name\":\"data\",\"type\":\"bytes\"},"
                    + "{\"name\":\"junk\",\"type\":{\"type\":\"array\",\"items\":\"null\"}}]}");
    int id = registry.register("skip-value", writer);
    GenericRecord record = TestSchemas.oneByOneImage(writer, "i", "RAW", new byte[1]);
    record.put("junk", new ArrayList<>());
    byte[] valid = TestSchemas.avroBody(record);
    // The empty array's terminating 0 becomes a block of 2^20 nulls, then the terminator.
    byte[] prefix = java.util.Arrays.copyOf(valid, valid.length - 1);
    byte[] lying =
        body(
            e -> {
              e.writeFixed(prefix);
              e.writeLong(1 << 20);
              e.writeLong(0);
            });
    assertEquals(
        "i",
        new AvroDeserializer<>(LabeledImage.class, registry)
            .deserialize("t", WireFormat.frame(id, valid))
            .getId());
    RecordDecodingException e = refused(LabeledImage.class, id, lying);
    assertEquals(Reason.TRUNCATED_BODY, e.reason());
  }

  private static BinaryEncoder snapshotHead(BinaryEncoder e) throws IOException {
    e.writeString("mlp");
    e.writeLong(1);
    e.writeInt(1);
    e.writeLong(0);
    e.writeString("mlp:784-512-512-10");
    return e;
  }

  private int idOf(Schema schema) {
    return registry.register("bounds-" + schema.getName(), schema);
  }

  private <T extends SpecificRecord> RecordDecodingException refused(
      Class<T> type, int id, byte[] body) {
    AvroDeserializer<T> deserializer = new AvroDeserializer<>(type, registry);
    byte[] framed = WireFormat.frame(id, body);
    return Allocations.refusedWithin(
        ALLOCATION_BOUND,
        RecordDecodingException.class,
        () -> deserializer.deserialize("t", framed));
  }

  private interface Writes {
    void to(BinaryEncoder encoder) throws IOException;
  }

  private static byte[] body(Writes writes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
      writes.to(encoder);
      encoder.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
