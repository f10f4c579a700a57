package io.streamtrain.registry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;

/** Schema evolution and plain Avro encoding for the registry tests. */
final class TestSchemas {
  /** What {@link #withTag} appends to the new field for a compatible (defaulted) evolution. */
  static final String NULL_DEFAULT = ",\"default\":null";

  private TestSchemas() {}

  /** {@code schema} with a leading nullable string field "tag" ({@code extra}: e.g. a default). */
  static Schema withTag(Schema schema, String extra) {
    return AvroSchemas.parse(
        schema
            .toString()
            .replace(
                "\"fields\":[",
                "\"fields\":[{\"name\":\"tag\",\"type\":[\"null\",\"string\"]" + extra + "},"));
  }

  /** {@code record}'s Avro binary encoding, without any framing. */
  static byte[] avroBody(GenericRecord record) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(record.getSchema()).write(record, encoder);
    encoder.flush();
    return out.toByteArray();
  }

  /**
   * A 1x1x1 image record of {@code schema} (a LabeledImage-like schema of another version), its
   * other fields left for the caller.
   */
  static GenericRecord oneByOneImage(Schema schema, String id, String encoding, byte[] data) {
    GenericRecord record = new GenericData.Record(schema);
    record.put("id", id);
    record.put("height", 1);
    record.put("width", 1);
    record.put("channels", 1);
    record.put(
        "encoding", new GenericData.EnumSymbol(schema.getField("encoding").schema(), encoding));
    record.put("data", ByteBuffer.wrap(data));
    return record;
  }
}
