package io.streamtrain.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streamtrain.report.LearningCurves.EpochPoint;
import java.util.OptionalDouble;

/** The machine-readable summary of a report ({@code report --json}). */
public final class ReportSummary {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ReportSummary() {}

  /**
   * {@code {"model":..,"version":..,"records":..,"epochs":[{"epoch":1,"step":..,"accuracy":..,
   * "avgLoss":..,"referenceAccuracy":..}],"prequential":{..},"rollbacks":..,"png":..,"html":..}};
   * accuracies are fractions.
   */
  public static String json(LearningCurves curves, ReportFiles.Written files) {
    ObjectNode o = JSON.createObjectNode();
    o.put("model", curves.modelName());
    o.put("version", curves.version());
    o.put("records", curves.records());
    o.put("superseded", curves.superseded());
    ArrayNode epochs = o.putArray("epochs");
    for (EpochPoint e : curves.testEpochs()) {
      ObjectNode n = epochs.addObject();
      n.put("epoch", e.epoch());
      n.put("step", e.step());
      putFinite(n, "accuracy", e.accuracy());
      putFinite(n, "avgLoss", e.averageLoss());
      OptionalDouble ref = QuickstartReference.accuracy(e.epoch());
      if (ref.isPresent()) {
        n.put("referenceAccuracy", ref.getAsDouble());
      }
      OptionalDouble refLoss = QuickstartReference.testLoss(e.epoch());
      if (refLoss.isPresent()) {
        n.put("referenceAvgLoss", refLoss.getAsDouble());
      }
    }
    curves
        .lastPrequential()
        .ifPresent(
            p -> {
              ObjectNode n = o.putObject("prequential");
              n.put("step", p.step());
              n.put("epoch", p.epoch());
              putFinite(n, "loss", p.loss());
              putFinite(n, "accuracy", p.accuracy());
              putFinite(n, "imagesPerSecond", p.imagesPerSecond());
            });
    o.put("rollbacks", curves.events().stream().filter(e -> e.kind().equals("ROLLBACK")).count());
    if (files != null) {
      o.put("png", files.png().toAbsolutePath().toString());
      o.put("html", files.html().toAbsolutePath().toString());
    }
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot encode the report summary: " + e.getMessage(), e);
    }
  }

  // JSON has no NaN: a figure the record did not carry is left out.
  private static void putFinite(ObjectNode node, String field, double value) {
    if (Double.isFinite(value)) {
      node.put(field, value);
    }
  }
}
