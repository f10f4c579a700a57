package io.streamtrain.registry;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.Decoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.Utf8;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads Confluent-framed Avro into generated records: fetches the writer schema by the id in the
 * frame (once per id), and resolves it to the generated class's schema with Avro schema resolution,
 * so records written with older or newer compatible schemas read fine. Null bytes read as null
 * (tombstones). Bad records fail with a {@link RecordDecodingException} (a {@link
 * org.apache.kafka.common.errors.SerializationException} carrying a {@link
 * RecordDecodingException.Reason}) whose one-line message says what is wrong; an unreachable
 * registry fails with a {@link SchemaRegistryException} instead, since no record is at fault.
 *
 * <p>Every length the body declares (bytes, strings, array and map item counts) is checked against
 * the bytes that remain in the record before anything of that size is allocated, so a record can
 * make decoding allocate little more than its own size: a longer length is a {@link
 * RecordDecodingException.Reason#TRUNCATED_BODY} (the body ends before the data it declares),
 * whether the record was cut short or its length lies. Avro's own limits ({@code
 * org.apache.avro.limits.*} system properties) are global and default to 2 GB; this bound is per
 * record. An array of zero-byte items (nulls) longer than the rest of its record is refused too; no
 * streamtrain schema has one. Thread-safe.
 */
public class AvroDeserializer<T extends SpecificRecord> extends RegistryClientHolder
    implements Deserializer<T> {
  private Class<T> type;
  private final ConcurrentMap<Integer, SpecificDatumReader<T>> readers = new ConcurrentHashMap<>();
  private final ThreadLocal<BoundedDecoder> decoders = ThreadLocal.withInitial(BoundedDecoder::new);

  /**
   * For Kafka's reflective construction; {@link #configure} must be called before use. The class
   * read is {@code specific.avro.value.type} (or {@code .key.type}) when set, else the generated
   * class named by the writer schema.
   */
  public AvroDeserializer() {
    super(null);
  }

  /** Reads values as {@code type}; {@link #configure} supplies the registry. */
  public AvroDeserializer(Class<T> type) {
    super(null);
    this.type = type;
  }

  /** A ready deserializer reading {@code type} with schemas from {@code client}. */
  public AvroDeserializer(Class<T> type, SchemaRegistryClient client) {
    super(client);
    this.type = type;
  }

  @Override
  @SuppressWarnings("unchecked")
  public void configure(Map<String, ?> configs, boolean isKey) {
    if (type == null) {
      String key =
          isKey ? SchemaRegistryConfig.SPECIFIC_KEY_TYPE : SchemaRegistryConfig.SPECIFIC_VALUE_TYPE;
      String className = SchemaRegistryConfig.string(configs, key);
      if (className != null) {
        try {
          Class<?> configured = Class.forName(className, true, contextClassLoader());
          if (!SpecificRecord.class.isAssignableFrom(configured)) {
            throw new ConfigException(key + " " + className + " is not a generated Avro class");
          }
          type = (Class<T>) configured;
        } catch (ClassNotFoundException e) {
          throw new ConfigException(
              key + " names class " + className + ", which is not on the classpath");
        }
      }
    }
    clientFromConfig(configs);
  }

  @Override
  public T deserialize(String topic, byte[] bytes) {
    return deserialize(topic, bytes, null);
  }

  /**
   * {@link #deserialize(String, byte[])} into {@code reuse}, a record of the read class whose
   * fields are all overwritten and whose bytes buffer is refilled when it is large enough (Avro's
   * own reuse); null reads into a new record. For a caller that is done with one record before it
   * reads the next, such as a decoder copying the pixels out: no object graph per record.
   */
  public T deserialize(String topic, byte[] bytes, T reuse) {
    if (bytes == null) {
      return null;
    }
    int id = WireFormat.schemaId(bytes);
    SpecificDatumReader<T> reader = readers.get(id);
    if (reader == null) {
      reader = newReader(id);
    }
    BoundedDecoder decoder =
        decoders.get().reset(bytes, WireFormat.HEADER_SIZE, bytes.length - WireFormat.HEADER_SIZE);
    T value;
    try {
      value = reader.read(reuse, decoder);
    } catch (EOFException | DeclaredLengthException e) {
      throw new RecordDecodingException(
          RecordDecodingException.Reason.TRUNCATED_BODY,
          "Truncated Avro body: "
              + (bytes.length - WireFormat.HEADER_SIZE)
              + " bytes are too few for schema id "
              + id
              + " ("
              + reader.getSchema().getFullName()
              + ")"
              + (e instanceof DeclaredLengthException ? ": " + e.getMessage() : ""),
          e);
    } catch (IOException | RuntimeException e) {
      // Avro reports corrupt bytes as AvroRuntimeException, negative lengths, bad indexes.
      throw new RecordDecodingException(
          RecordDecodingException.Reason.CORRUPT_BODY,
          "Corrupt Avro body for schema id "
              + id
              + " ("
              + reader.getSchema().getFullName()
              + "): "
              + e.getClass().getSimpleName()
              + " "
              + e.getMessage(),
          e);
    }
    if (decoder.remaining() > 0) {
      throw new RecordDecodingException(
          RecordDecodingException.Reason.TRAILING_BYTES,
          "Avro body for schema id "
              + id
              + " ("
              + reader.getSchema().getFullName()
              + ") has trailing bytes: the record was not written with the schema its id names");
    }
    return value;
  }

  private SpecificDatumReader<T> newReader(int id) {
    SchemaRegistryClient client = configuredClient("AvroDeserializer");
    Schema writer;
    try {
      writer = client.getById(id);
    } catch (SchemaRegistryException e) {
      if (e.errorCode() == SchemaRegistryException.SCHEMA_NOT_FOUND
          || (e.isNotFound() && !e.isRetriable())) {
        throw new RecordDecodingException(
            RecordDecodingException.Reason.UNKNOWN_SCHEMA_ID,
            "Schema id " + id + " is not in the registry",
            e);
      }
      throw e;
    }
    Class<T> readClass = type != null ? type : classFor(id, writer);
    SpecificData data = SpecificData.getForClass(readClass);
    Schema reader = data.getSchema(readClass);
    if (!SchemaCompatibility.schemaNameEquals(reader, writer)
        || reader.getType() != writer.getType()) {
      throw new RecordDecodingException(
          RecordDecodingException.Reason.WRONG_RECORD_TYPE,
          "Schema id "
              + id
              + " is "
              + AvroSchemas.describe(writer)
              + ", not readable as "
              + AvroSchemas.describe(reader));
    }
    SchemaCompatibility.SchemaPairCompatibility compatibility =
        SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
    if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
      SchemaCompatibility.Incompatibility first =
          compatibility.getResult().getIncompatibilities().get(0);
      throw new RecordDecodingException(
          RecordDecodingException.Reason.INCOMPATIBLE_SCHEMA,
          "Schema id "
              + id
              + " ("
              + AvroSchemas.describe(writer)
              + ") is not readable as "
              + readClass.getName()
              + ": "
              + first.getType()
              + " at "
              + first.getLocation()
              + " ("
              + first.getMessage()
              + ")");
    }
    SpecificDatumReader<T> created = new SpecificDatumReader<>(writer, reader, data);
    SpecificDatumReader<T> raced = readers.putIfAbsent(id, created);
    return raced != null ? raced : created;
  }

  @SuppressWarnings("unchecked")
  private Class<T> classFor(int id, Schema writer) {
    Class<?> generated =
        writer.getType() == Schema.Type.RECORD ? SpecificData.get().getClass(writer) : null;
    if (generated == null || !SpecificRecord.class.isAssignableFrom(generated)) {
      throw new RecordDecodingException(
          RecordDecodingException.Reason.NO_GENERATED_CLASS,
          "Schema id "
              + id
              + " is "
              + AvroSchemas.describe(writer)
              + ", which has no generated class on the classpath (set "
              + SchemaRegistryConfig.SPECIFIC_VALUE_TYPE
              + ")");
    }
    return (Class<T>) generated;
  }

  private static ClassLoader contextClassLoader() {
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    return loader != null ? loader : AvroDeserializer.class.getClassLoader();
  }

  @Override
  public void close() {
    decoders.remove();
  }

  /** A length or count in the body that the rest of the record cannot hold. */
  private static final class DeclaredLengthException extends IOException {
    private static final long serialVersionUID = 1L;

    DeclaredLengthException(String message) {
      super(message);
    }
  }

  /** The body of one record, read without buffering so that what remains is known exactly. */
  private static final class Body extends InputStream {
    private byte[] bytes;
    private int position;
    private int end;

    void reset(byte[] bytes, int offset, int length) {
      this.bytes = bytes;
      this.position = offset;
      this.end = offset + length;
    }

    @Override
    public int read() {
      return position < end ? bytes[position++] & 0xff : -1;
    }

    @Override
    public int read(byte[] into, int offset, int length) {
      if (length == 0) {
        return 0;
      }
      int n = Math.min(length, end - position);
      if (n <= 0) {
        return -1;
      }
      System.arraycopy(bytes, position, into, offset, n);
      position += n;
      return n;
    }

    @Override
    public long skip(long n) {
      long skipped = Math.max(0, Math.min(n, end - position));
      position += (int) skipped;
      return skipped;
    }

    @Override
    public int available() {
      return end - position;
    }
  }

  /**
   * Avro's binary decoder with every declared length checked against the bytes that remain before
   * it is used: strings and bytes are read into arrays of the checked size, item counts are
   * returned only when the rest of the record could hold that many items of one byte.
   */
  private static final class BoundedDecoder extends Decoder {
    private final Body body = new Body();
    private final BinaryDecoder in = DecoderFactory.get().directBinaryDecoder(body, null);
    private final Utf8 scratch = new Utf8();

    BoundedDecoder reset(byte[] bytes, int offset, int length) {
      body.reset(bytes, offset, length);
      return this;
    }

    int remaining() {
      return body.available();
    }

    private int length(String what) throws IOException {
      long length = in.readLong();
      if (length < 0) {
        throw new AvroRuntimeException("Malformed data: " + what + " of length " + length);
      }
      if (length > body.available()) {
        throw new DeclaredLengthException(
            what + " declares " + length + " bytes where " + body.available() + " remain");
      }
      return (int) length;
    }

    private long count(long items, String what) throws IOException {
      if (items > body.available()) {
        throw new DeclaredLengthException(
            what + " declares " + items + " items where " + body.available() + " bytes remain");
      }
      return items;
    }

    @Override
    public void readNull() throws IOException {
      in.readNull();
    }

    @Override
    public boolean readBoolean() throws IOException {
      return in.readBoolean();
    }

    @Override
    public int readInt() throws IOException {
      return in.readInt();
    }

    @Override
    public long readLong() throws IOException {
      return in.readLong();
    }

    @Override
    public float readFloat() throws IOException {
      return in.readFloat();
    }

    @Override
    public double readDouble() throws IOException {
      return in.readDouble();
    }

    @Override
    public Utf8 readString(Utf8 old) throws IOException {
      int length = length("a string");
      Utf8 result = old != null ? old : new Utf8();
      result.setByteLength(length);
      in.readFixed(result.getBytes(), 0, length);
      return result;
    }

    @Override
    public String readString() throws IOException {
      // The String is the record's; the Utf8 it is read through is this decoder's, reused.
      return readString(scratch).toString();
    }

    @Override
    public void skipString() throws IOException {
      in.skipFixed(length("a string"));
    }

    @Override
    public ByteBuffer readBytes(ByteBuffer old) throws IOException {
      int length = length("a bytes field");
      ByteBuffer result;
      if (old != null && old.hasArray() && length <= old.capacity()) {
        result = old;
        result.clear();
      } else {
        result = ByteBuffer.allocate(length);
      }
      in.readFixed(result.array(), result.arrayOffset() + result.position(), length);
      result.limit(length);
      return result;
    }

    @Override
    public void skipBytes() throws IOException {
      in.skipFixed(length("a bytes field"));
    }

    @Override
    public void readFixed(byte[] bytes, int start, int length) throws IOException {
      in.readFixed(bytes, start, length);
    }

    @Override
    public void skipFixed(int length) throws IOException {
      in.skipFixed(length);
    }

    @Override
    public int readEnum() throws IOException {
      return in.readEnum();
    }

    @Override
    public long readArrayStart() throws IOException {
      return count(in.readArrayStart(), "an array");
    }

    @Override
    public long arrayNext() throws IOException {
      return count(in.arrayNext(), "an array");
    }

    @Override
    public long skipArray() throws IOException {
      return count(in.skipArray(), "an array");
    }

    @Override
    public long readMapStart() throws IOException {
      return count(in.readMapStart(), "a map");
    }

    @Override
    public long mapNext() throws IOException {
      return count(in.mapNext(), "a map");
    }

    @Override
    public long skipMap() throws IOException {
      return count(in.skipMap(), "a map");
    }

    @Override
    public int readIndex() throws IOException {
      return in.readIndex();
    }
  }
}
