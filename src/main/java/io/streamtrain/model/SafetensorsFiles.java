package io.streamtrain.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streamtrain.schema.NamedTensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code .safetensors} files: an 8-byte little-endian header length N, N bytes of JSON {@code
 * {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ..., "__metadata__":
 * {...}}} padded with spaces to a multiple of 8, then the tensors' little-endian bytes, which must
 * tile the buffer from 0 without gaps or overlaps. Reading checks all of it before using any byte.
 */
final class SafetensorsFiles {
  private static final long MAX_HEADER_BYTES = 100_000_000;
  private static final String METADATA = "__metadata__";
  // Duplicate keys would let a header name one tensor twice: refuse them rather than keep the last.
  private static final ObjectMapper JSON =
      JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
  private static final Map<String, String> CODES =
      Map.of(
          Tensors.FLOAT32,
          "F32",
          Tensors.FLOAT64,
          "F64",
          Tensors.FLOAT16,
          "F16",
          Tensors.BFLOAT16,
          "BF16",
          Tensors.INT64,
          "I64",
          Tensors.INT32,
          "I32",
          Tensors.INT16,
          "I16",
          Tensors.INT8,
          "I8",
          Tensors.UINT8,
          "U8",
          Tensors.BOOL,
          "BOOL");
  private static final Map<String, String> DTYPES = new HashMap<>();

  static {
    CODES.forEach((dtype, code) -> DTYPES.put(code, dtype));
  }

  /** The tensors of a file, in header order, and its string metadata. */
  record Contents(List<NamedTensor> tensors, Map<String, String> metadata) {}

  private SafetensorsFiles() {}

  /** The bytes of a safetensors file holding {@code tensors} in order, with {@code metadata}. */
  static byte[] write(List<NamedTensor> tensors, Map<String, String> metadata) {
    ObjectNode header = JSON.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode meta = header.putObject(METADATA);
      metadata.forEach(meta::put);
    }
    long offset = 0;
    for (NamedTensor tensor : tensors) {
      String code = Tensors.dtypeCode(CODES, tensor, ".safetensors");
      if (METADATA.equals(tensor.getName()) || header.has(tensor.getName())) {
        throw new IllegalArgumentException("tensor name " + tensor.getName() + " is used twice");
      }
      Tensors.checkSize(tensor);
      ObjectNode entry = header.putObject(tensor.getName());
      entry.put("dtype", code);
      ArrayNode shape = entry.putArray("shape");
      tensor.getShape().forEach(shape::add);
      long end = offset + tensor.getData().remaining();
      entry.putArray("data_offsets").add(offset).add(end);
      offset = end;
    }
    byte[] json;
    try {
      json = JSON.writeValueAsBytes(header);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode a safetensors header", e);
    }
    int padded = (json.length + 7) / 8 * 8;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
    out.writeBytes(json);
    for (int i = json.length; i < padded; i++) {
      out.write(' ');
    }
    for (NamedTensor tensor : tensors) {
      out.writeBytes(Tensors.bytes(tensor));
    }
    return out.toByteArray();
  }

  /** Reads and checks {@code file}; any inconsistency is an IllegalArgumentException, one line. */
  static Contents read(Path file) {
    String what = ".safetensors file " + file;
    byte[] bytes;
    try {
      long size = Files.size(file);
      if (size > Integer.MAX_VALUE - 64) {
        throw new IllegalArgumentException(what + " is over 2 GB, more than we read");
      }
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + what + ": " + e.getMessage(), e);
    }
    return read(bytes, what);
  }

  static Contents read(byte[] bytes, String what) {
    if (bytes.length < 8) {
      throw new IllegalArgumentException(
          what + " is " + bytes.length + " bytes, too short for a safetensors header length");
    }
    long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (headerLength < 2 || headerLength > MAX_HEADER_BYTES || headerLength > bytes.length - 8) {
      throw new IllegalArgumentException(
          what
              + " declares a header of "
              + Long.toUnsignedString(headerLength)
              + " bytes, but the file has "
              + (bytes.length - 8)
              + " after the length"
              + (headerLength > MAX_HEADER_BYTES ? " (and the limit is 100 MB)" : "")
              + ": truncated or not a safetensors file");
    }
    int bufferStart = 8 + (int) headerLength;
    long bufferLength = bytes.length - bufferStart;
    JsonNode header;
    try {
      header =
          JSON.readTree(
              new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8).stripTrailing());
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          what + " has a header that is not JSON: " + e.getOriginalMessage(), e);
    }
    if (header == null || !header.isObject()) {
      throw new IllegalArgumentException(what + " has a header that is not a JSON object");
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    List<Entry> entries = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      if (field.getKey().equals(METADATA)) {
        if (!field.getValue().isObject()) {
          throw new IllegalArgumentException(what + ": __metadata__ is not a JSON object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> m = field.getValue().fields(); m.hasNext(); ) {
          Map.Entry<String, JsonNode> item = m.next();
          if (!item.getValue().isTextual()) {
            throw new IllegalArgumentException(
                what + ": __metadata__ value of " + item.getKey() + " is not a string");
          }
          metadata.put(item.getKey(), item.getValue().asText());
        }
        continue;
      }
      entries.add(entry(field.getKey(), field.getValue(), what));
    }
    // The tensors must tile the buffer exactly: sorted by begin, each starts where the last ended.
    List<Entry> byOffset = new ArrayList<>(entries);
    byOffset.sort(Comparator.comparingLong(Entry::begin));
    long expectedBegin = 0;
    for (Entry entry : byOffset) {
      String offsets =
          what
              + ": tensor "
              + entry.name()
              + " has data_offsets ["
              + entry.begin()
              + ", "
              + entry.end()
              + "]";
      if (entry.begin() != expectedBegin) {
        throw new IllegalArgumentException(
            offsets
                + " but the previous tensor ends at "
                + expectedBegin
                + (entry.begin() < expectedBegin ? " (overlap)" : " (gap)"));
      }
      if (entry.end() > bufferLength) {
        throw new IllegalArgumentException(
            offsets + " past the end of the " + bufferLength + "-byte data buffer");
      }
      expectedBegin = entry.end();
    }
    if (expectedBegin != bufferLength) {
      throw new IllegalArgumentException(
          what
              + ": the tensors cover "
              + expectedBegin
              + " bytes of a "
              + bufferLength
              + "-byte data buffer");
    }
    List<NamedTensor> tensors = new ArrayList<>(entries.size());
    for (Entry entry : entries) {
      byte[] data = new byte[(int) (entry.end() - entry.begin())];
      System.arraycopy(bytes, bufferStart + (int) entry.begin(), data, 0, data.length);
      tensors.add(
          new NamedTensor(
              entry.name(),
              Tensors.shapeList(entry.shape()),
              entry.dtype(),
              ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN)));
    }
    return new Contents(tensors, metadata);
  }

  private record Entry(String name, String dtype, long[] shape, long begin, long end) {}

  private static Entry entry(String name, JsonNode node, String what) {
    String prefix = what + ": tensor " + name;
    if (!node.isObject()) {
      throw new IllegalArgumentException(prefix + " is not a JSON object");
    }
    String dtype = DTYPES.get(node.path("dtype").asText(""));
    if (dtype == null) {
      throw new IllegalArgumentException(
          prefix + " has dtype " + node.get("dtype") + "; known: " + DTYPES.keySet());
    }
    JsonNode shapeNode = node.path("shape");
    JsonNode offsets = node.path("data_offsets");
    if (!shapeNode.isArray()
        || !offsets.isArray()
        || offsets.size() != 2
        || !offsets.get(0).canConvertToLong()
        || !offsets.get(1).canConvertToLong()) {
      throw new IllegalArgumentException(
          prefix + " needs a \"shape\" array and \"data_offsets\": [begin, end]");
    }
    long[] shape = new long[shapeNode.size()];
    long bytes = Tensors.elementSize(dtype);
    try {
      for (int d = 0; d < shape.length; d++) {
        JsonNode dim = shapeNode.get(d);
        if (!dim.isIntegralNumber() || !dim.canConvertToLong() || dim.asLong() < 0) {
          throw new IllegalArgumentException(prefix + " has a bad dimension " + dim);
        }
        shape[d] = dim.asLong();
        bytes = Math.multiplyExact(bytes, shape[d]);
      }
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(prefix + " has a shape too large to hold");
    }
    long begin = offsets.get(0).asLong();
    long end = offsets.get(1).asLong();
    if (begin < 0 || end < begin || end - begin != bytes) {
      throw new IllegalArgumentException(
          prefix
              + " has data_offsets ["
              + begin
              + ", "
              + end
              + "] but its shape "
              + java.util.Arrays.toString(shape)
              + " of "
              + dtype
              + " needs "
              + bytes
              + " bytes");
    }
    return new Entry(name, dtype, shape, begin, end);
  }
}
