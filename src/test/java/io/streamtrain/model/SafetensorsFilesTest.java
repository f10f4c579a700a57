package io.streamtrain.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.schema.NamedTensor;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SafetensorsFilesTest {
  private static final List<NamedTensor> TENSORS =
      List.of(
          Tensors.float32("a.weight", new long[] {2, 2}, new float[] {1, 2, 3, Float.NaN}),
          Tensors.float32("a.bias", new long[] {2}, new float[] {-1, 0.5f}),
          Tensors.int64Scalar("bn.num_batches_tracked", 3));

  /** A file with {@code header} as its JSON and {@code dataBytes} zero bytes of data. */
  private static byte[] file(String header, int dataBytes) {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(
        ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).array());
    out.writeBytes(json);
    out.writeBytes(new byte[dataBytes]);
    return out.toByteArray();
  }

  private static String refusal(byte[] bytes) {
    String message =
        assertThrows(IllegalArgumentException.class, () -> SafetensorsFiles.read(bytes, "f"))
            .getMessage();
    assertFalse(message.contains("\n"), message);
    return message;
  }

  @Test
  void shouldRoundTripTensorsAndMetadata() {
    byte[] bytes = SafetensorsFiles.write(TENSORS, Map.of("format", "pt"));
    long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, headerLength % 8, "the header is padded to 8 bytes");
    assertEquals(8 + headerLength + 16 + 8 + 8, bytes.length);
    SafetensorsFiles.Contents read = SafetensorsFiles.read(bytes, "f");
    assertEquals(Map.of("format", "pt"), read.metadata());
    assertEquals(TENSORS.size(), read.tensors().size());
    for (int i = 0; i < TENSORS.size(); i++) {
      assertEquals(TENSORS.get(i).getName(), read.tensors().get(i).getName());
      assertEquals(TENSORS.get(i).getShape(), read.tensors().get(i).getShape());
      assertEquals(TENSORS.get(i).getDtype(), read.tensors().get(i).getDtype());
      assertEquals(TENSORS.get(i).getData(), read.tensors().get(i).getData());
    }
    String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
    assertTrue(
        header.contains("\"a.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}"),
        header);
    assertTrue(header.contains("\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[24,32]"), header);
  }

  @Test
  void shouldRefuseOffsetsThatOverlapLeaveGapsOrRunPastTheEnd() {
    String overlap =
        refusal(file(header(entry("x", "F32", "[2]", 0, 8), entry("y", "F32", "[2]", 4, 12)), 12));
    assertTrue(overlap.contains("tensor y") && overlap.contains("overlap"), overlap);
    String gap = refusal(file(header(entry("x", "F32", "[1]", 4, 8)), 8));
    assertTrue(gap.contains("gap"), gap);
    String pastEnd = refusal(file(header(entry("x", "F32", "[4]", 0, 16)), 8));
    assertTrue(pastEnd.contains("past the end of the 8-byte data buffer"), pastEnd);
    String shapeLie = refusal(file(header(entry("x", "F32", "[3]", 0, 8)), 8));
    assertTrue(shapeLie.contains("needs 12 bytes"), shapeLie);
    String trailing = refusal(file(header(entry("x", "F32", "[1]", 0, 4)), 8));
    assertTrue(trailing.contains("cover 4 bytes of a 8-byte"), trailing);
  }

  @Test
  void shouldRefuseAHeaderLengthPastTheFileOrAHeaderThatIsNotJson() {
    byte[] lying = file("{}", 0);
    ByteBuffer.wrap(lying).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
    assertTrue(refusal(lying).contains("truncated or not a safetensors file"));
    assertTrue(refusal(new byte[3]).contains("too short"));
    assertTrue(refusal(file("{not json", 0)).contains("not JSON"));
    assertTrue(refusal(file("[1,2]", 0)).contains("not a JSON object"));
    String duplicate =
        refusal(file(header(entry("x", "F32", "[]", 0, 4), entry("x", "F32", "[]", 0, 4)), 4));
    assertTrue(duplicate.contains("not JSON") && duplicate.contains("x"), duplicate);
    String dtype = refusal(file(header(entry("x", "F128", "[]", 0, 4)), 4));
    assertTrue(dtype.contains("F128"), dtype);
  }

  /** One header entry: {@code "name":{"dtype":..,"shape":..,"data_offsets":[from,to]}}. */
  private static String entry(String name, String dtype, String shape, int from, int to) {
    return "\""
        + name
        + "\":{\"dtype\":\""
        + dtype
        + "\",\"shape\":"
        + shape
        + ",\"data_offsets\":["
        + from
        + ","
        + to
        + "]}";
  }

  private static String header(String... entries) {
    return "{" + String.join(",", entries) + "}";
  }
}
