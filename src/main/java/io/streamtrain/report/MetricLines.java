package io.streamtrain.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streamtrain.schema.MetricKind;
import io.streamtrain.schema.TrainingMetric;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code training.metrics} records as JSON lines, one plain object per record with the schema's
 * field names ({@code {"modelName":"fashion-mlp","step":100,"kind":"PREQUENTIAL","loss":2.29,
 * ...,"time":"2025-01-01T00:00:00Z"}}), for reports made away from the cluster.
 */
public final class MetricLines {
  private static final ObjectMapper JSON = new ObjectMapper();

  private MetricLines() {}

  public static void write(List<TrainingMetric> metrics, Path file) {
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (TrainingMetric m : metrics) {
        out.write(toJson(m));
        out.newLine();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write metrics to " + file + ": " + e.getMessage(), e);
    }
  }

  public static List<TrainingMetric> read(Path file) {
    List<TrainingMetric> metrics = new ArrayList<>();
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int number = 0;
      while ((line = in.readLine()) != null) {
        number++;
        if (!line.isBlank()) {
          metrics.add(parse(line, file, number));
        }
      }
    } catch (NoSuchFileException e) {
      throw new UncheckedIOException(
          "Metrics file " + file + " does not exist: write one with report --dump FILE", e);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read metrics from " + file + ": " + e.getMessage(), e);
    }
    return metrics;
  }

  static String toJson(TrainingMetric m) {
    ObjectNode o = JSON.createObjectNode();
    o.put("modelName", m.getModelName());
    o.put("version", m.getVersion());
    o.put("epoch", m.getEpoch());
    o.put("step", m.getStep());
    o.put("kind", m.getKind().name());
    putIfPresent(o, "loss", m.getLoss());
    putIfPresent(o, "accuracy", m.getAccuracy());
    putIfPresent(o, "imagesPerSecond", m.getImagesPerSecond());
    if (m.getCount() != null) {
      o.put("count", m.getCount());
    }
    o.put("time", m.getTime().toString());
    if (m.getDetail() != null) {
      o.put("detail", m.getDetail());
    }
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot encode a metric as JSON: " + e.getMessage(), e);
    }
  }

  private static void putIfPresent(ObjectNode o, String field, Double value) {
    // JSON has no NaN; a non-finite figure is written as absent.
    if (value != null && Double.isFinite(value)) {
      o.put(field, value);
    }
  }

  private static TrainingMetric parse(String line, Path file, int number) {
    String where = file + " line " + number;
    try {
      JsonNode o = JSON.readTree(line);
      if (!o.isObject()) {
        throw new IllegalArgumentException(where + ": expected a JSON object per line");
      }
      long step = required(o, "step", where).asLong();
      return TrainingMetric.newBuilder()
          .setModelName(required(o, "modelName", where).asText())
          .setVersion(o.has("version") ? o.get("version").asLong() : step)
          .setEpoch(required(o, "epoch", where).asInt())
          .setStep(step)
          .setKind(kind(required(o, "kind", where).asText(), where))
          .setLoss(optionalDouble(o, "loss"))
          .setAccuracy(optionalDouble(o, "accuracy"))
          .setImagesPerSecond(optionalDouble(o, "imagesPerSecond"))
          .setCount(o.hasNonNull("count") ? o.get("count").asLong() : null)
          .setTime(time(required(o, "time", where), where))
          .setDetail(o.hasNonNull("detail") ? o.get("detail").asText() : null)
          .build();
    } catch (JsonProcessingException e) {
      // Jackson's own message is carried over; as a cause it would repeat it with its location.
      throw new IllegalArgumentException(
          where
              + " is not JSON ("
              + e.getOriginalMessage()
              + ", column "
              + (e.getLocation() == null ? "?" : e.getLocation().getColumnNr())
              + "): expected one object per line");
    }
  }

  private static JsonNode required(JsonNode o, String field, String where) {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      throw new IllegalArgumentException(where + ": field \"" + field + "\" is missing");
    }
    return v;
  }

  private static Double optionalDouble(JsonNode o, String field) {
    return o.hasNonNull(field) ? o.get(field).asDouble() : null;
  }

  private static MetricKind kind(String name, String where) {
    try {
      return MetricKind.valueOf(name);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          where
              + ": unknown kind \""
              + name
              + "\" (expected one of "
              + java.util.Arrays.toString(MetricKind.values())
              + ")",
          e);
    }
  }

  private static Instant time(JsonNode v, String where) {
    if (v.isNumber()) {
      return Instant.ofEpochMilli(v.asLong());
    }
    try {
      return Instant.parse(v.asText());
    } catch (java.time.format.DateTimeParseException e) {
      throw new IllegalArgumentException(
          where + ": time \"" + v.asText() + "\" is neither epoch milliseconds nor ISO-8601", e);
    }
  }
}
