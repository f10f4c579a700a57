package io.streamtrain.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class WireFormatTest {
  private static final Schema TINY =
      AvroSchemas.parse(
          "{\"type\":\"record\",\"name\":\"Tiny\",\"fields\":["
              + "{\"name\":\"name\",\"type\":\"string\"},"
              + "{\"name\":\"count\",\"type\":\"int\"},"
              + "{\"name\":\"label\",\"type\":[\"null\",\"int\"]}]}");

  /** Tiny{name="ab", count=3, label=7} under schema id 5, encoded by hand. */
  private static final byte[] GOLDEN = {
    0x00, // magic byte
    0x00, 0x00, 0x00, 0x05, // schema id 5, big-endian
    0x04, 'a', 'b', // string: zigzag length 2, then UTF-8
    0x06, // int 3, zigzag
    0x02, // union branch 1 ("int"), zigzag
    0x0e, // int 7, zigzag
  };

  @Test
  void shouldFrameAvroBodyAsGoldenBytes() throws IOException {
    GenericRecord tiny = new GenericData.Record(TINY);
    tiny.put("name", "ab");
    tiny.put("count", 3);
    tiny.put("label", 7);

    assertArrayEquals(GOLDEN, WireFormat.frame(5, TestSchemas.avroBody(tiny)));
  }

  @Test
  void shouldReadSchemaIdAndBodyOfGoldenBytes() {
    assertEquals(5, WireFormat.schemaId(GOLDEN));
    assertArrayEquals(new byte[] {0x04, 'a', 'b', 0x06, 0x02, 0x0e}, WireFormat.body(GOLDEN));
  }

  @Test
  void shouldWriteSchemaIdBigEndian() {
    assertArrayEquals(new byte[] {0, 0x01, 0x02, 0x03, 0x04}, WireFormat.header(0x01020304));
    assertEquals(0x01020304, WireFormat.schemaId(WireFormat.header(0x01020304)));
    assertEquals(0x7fffffff, WireFormat.schemaId(WireFormat.header(Integer.MAX_VALUE)));
  }

  @Test
  void shouldAcceptHeaderWithEmptyBody() {
    assertEquals(9, WireFormat.schemaId(new byte[] {0, 0, 0, 0, 9}));
  }

  @Test
  void shouldRejectUnknownMagicByte() {
    SerializationException e =
        assertThrows(
            SerializationException.class,
            () ->
                WireFormat.schemaId(
                    "{\"id\": 1}".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    assertEquals(
        "Unknown magic byte 0x7b (expected 0x00: not Confluent-framed Avro)", e.getMessage());
  }

  @Test
  void shouldRejectRecordTooShortForFraming() {
    SerializationException e =
        assertThrows(SerializationException.class, () -> WireFormat.schemaId(new byte[] {0, 0, 0}));
    assertEquals("Record too short for Confluent framing (3 bytes)", e.getMessage());
  }
}
