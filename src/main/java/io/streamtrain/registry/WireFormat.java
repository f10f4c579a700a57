package io.streamtrain.registry;

/**
 * Confluent's wire format for Avro records: magic byte 0, the schema id as a big-endian 4-byte int,
 * then the Avro binary body (no container, no schema).
 */
public final class WireFormat {
  public static final byte MAGIC_BYTE = 0;
  public static final int HEADER_SIZE = 5;

  private WireFormat() {}

  /** The 5-byte header that precedes the Avro body of a record written with {@code schemaId}. */
  public static byte[] header(int schemaId) {
    byte[] header = new byte[HEADER_SIZE];
    header[0] = MAGIC_BYTE;
    header[1] = (byte) (schemaId >>> 24);
    header[2] = (byte) (schemaId >>> 16);
    header[3] = (byte) (schemaId >>> 8);
    header[4] = (byte) schemaId;
    return header;
  }

  /** Frames an Avro body: header followed by the body bytes. */
  public static byte[] frame(int schemaId, byte[] avroBody) {
    byte[] framed = new byte[HEADER_SIZE + avroBody.length];
    System.arraycopy(header(schemaId), 0, framed, 0, HEADER_SIZE);
    System.arraycopy(avroBody, 0, framed, HEADER_SIZE, avroBody.length);
    return framed;
  }

  /**
   * Checks the framing of {@code record} and returns its schema id.
   *
   * @throws RecordDecodingException (a SerializationException) when the record is too short or the
   *     magic byte is not 0
   */
  public static int schemaId(byte[] record) {
    if (record == null) {
      throw new RecordDecodingException(
          RecordDecodingException.Reason.RECORD_TOO_SHORT,
          "Record is null: expected Confluent-framed Avro");
    }
    if (record.length < HEADER_SIZE) {
      throw new RecordDecodingException(
          RecordDecodingException.Reason.RECORD_TOO_SHORT,
          "Record too short for Confluent framing (" + record.length + " bytes)");
    }
    if (record[0] != MAGIC_BYTE) {
      throw new RecordDecodingException(
          RecordDecodingException.Reason.UNKNOWN_MAGIC_BYTE,
          String.format(
              "Unknown magic byte 0x%02x (expected 0x00: not Confluent-framed Avro)",
              record[0] & 0xff));
    }
    return ((record[1] & 0xff) << 24)
        | ((record[2] & 0xff) << 16)
        | ((record[3] & 0xff) << 8)
        | (record[4] & 0xff);
  }

  /** A copy of the Avro body of a framed record (after {@link #schemaId} checked the framing). */
  public static byte[] body(byte[] record) {
    schemaId(record);
    byte[] body = new byte[record.length - HEADER_SIZE];
    System.arraycopy(record, HEADER_SIZE, body, 0, body.length);
    return body;
  }
}
