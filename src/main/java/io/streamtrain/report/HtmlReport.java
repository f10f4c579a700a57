package io.streamtrain.report;

import io.streamtrain.report.LearningCurves.EpochPoint;
import io.streamtrain.report.LearningCurves.Event;
import java.util.Base64;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * A self-contained HTML page of a run: the chart as an inline PNG, the per-epoch figures next to
 * the quickstart's, and the run's events. No external resources, so it can be mailed or archived.
 */
public final class HtmlReport {
  private HtmlReport() {}

  public static String render(LearningCurves curves, byte[] png) {
    StringBuilder h = new StringBuilder(png.length * 4 / 3 + 8192);
    String title = "Learning curves — " + curves.modelName() + ", version " + curves.version();
    h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<title>")
        .append(escape(title))
        .append("</title>\n")
        .append("<style>\n")
        .append("body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1440px}\n")
        .append("img{width:100%;max-width:1400px;border:1px solid #ddd}\n")
        .append("table{border-collapse:collapse;margin:12px 0}\n")
        .append("th,td{padding:4px 12px;text-align:right;border-bottom:1px solid #e4e4e4}\n")
        .append("th{background:#f4f4f4}\n")
        .append(".ours{color:#d62728}.ref{color:#222}.muted{color:#666}\n")
        .append("</style>\n</head>\n<body>\n")
        .append("<h1>")
        .append(escape(title))
        .append("</h1>\n")
        .append("<p class=\"muted\">")
        .append(
            String.format(
                Locale.ROOT,
                "%d metric records of model %s; %d epochs evaluated; %,d steps.",
                curves.records(),
                escape(curves.modelName()),
                curves.testEpochs().size(),
                curves.version()))
        .append(" Reference: PyTorch quickstart on Fashion-MNIST (MLP 784-512-512-10, SGD lr=1e-3,")
        .append(" batch 64).</p>\n")
        .append("<img alt=\"learning curves of ")
        .append(escape(curves.modelName()))
        .append("\" src=\"data:image/png;base64,")
        .append(Base64.getEncoder().encodeToString(png))
        .append("\">\n");
    appendEpochTable(h, curves);
    curves
        .lastPrequential()
        .ifPresent(
            p ->
                h.append(
                    String.format(
                        Locale.ROOT,
                        "<p>Last prequential figures (step %,d, epoch %d): accuracy %.1f %%, loss"
                            + " %.4f, %,.0f images/s.</p>\n",
                        p.step(),
                        p.epoch(),
                        100 * p.accuracy(),
                        p.loss(),
                        Double.isFinite(p.imagesPerSecond()) ? p.imagesPerSecond() : 0.0)));
    appendEvents(h, curves);
    if (curves.superseded() > 0) {
      h.append("<p class=\"muted\">")
          .append(curves.superseded())
          .append(" earlier points were superseded by a restart or resume at a lower step.</p>\n");
    }
    return h.append("</body>\n</html>\n").toString();
  }

  private static void appendEpochTable(StringBuilder h, LearningCurves curves) {
    h.append("<h2>Test evaluation per epoch</h2>\n<table>\n")
        .append("<tr><th>epoch</th><th>step</th><th>test accuracy</th>")
        .append("<th>quickstart accuracy</th><th>difference</th>")
        .append("<th>avg test loss</th><th>quickstart loss</th><th>test images</th></tr>\n");
    int last = Math.max(QuickstartReference.epochs(), curves.lastEpoch());
    for (int epoch = 1; epoch <= last; epoch++) {
      int e = epoch;
      EpochPoint p =
          curves.testEpochs().stream().filter(t -> t.epoch() == e).findFirst().orElse(null);
      OptionalDouble ref = QuickstartReference.accuracy(epoch);
      OptionalDouble refLoss = QuickstartReference.testLoss(epoch);
      if (p == null && ref.isEmpty()) {
        continue;
      }
      h.append("<tr><td>")
          .append(epoch)
          .append("</td>")
          .append(cell(p == null ? "–" : String.format(Locale.ROOT, "%,d", p.step()), ""))
          .append(cell(p == null ? "–" : pct(p.accuracy()), "ours"))
          .append(cell(ref.isPresent() ? pct(ref.getAsDouble()) : "–", "ref"))
          .append(
              cell(
                  p != null && ref.isPresent()
                      ? String.format(
                          Locale.ROOT, "%+.1f pp", 100 * (p.accuracy() - ref.getAsDouble()))
                      : "–",
                  ""))
          .append(
              cell(p == null ? "–" : String.format(Locale.ROOT, "%.4f", p.averageLoss()), "ours"))
          .append(
              cell(
                  refLoss.isPresent()
                      ? String.format(Locale.ROOT, "%.4f", refLoss.getAsDouble())
                      : "–",
                  "ref"))
          .append(cell(p == null ? "–" : String.format(Locale.ROOT, "%,d", p.count()), ""))
          .append("</tr>\n");
    }
    h.append("</table>\n");
  }

  private static void appendEvents(StringBuilder h, LearningCurves curves) {
    if (curves.events().isEmpty()) {
      return;
    }
    h.append("<h2>Events</h2>\n<table>\n<tr><th>time</th><th>step</th><th>epoch</th>")
        .append("<th>kind</th><th style=\"text-align:left\">detail</th></tr>\n");
    for (Event e : curves.events()) {
      h.append("<tr>")
          .append(cell(java.time.Instant.ofEpochMilli(e.timeMillis()).toString(), ""))
          .append(cell(String.format(Locale.ROOT, "%,d", e.step()), ""))
          .append(cell(String.valueOf(e.epoch()), ""))
          .append(cell(e.kind(), ""))
          .append("<td style=\"text-align:left\">")
          .append(escape(e.detail() == null ? "" : e.detail()))
          .append("</td></tr>\n");
    }
    h.append("</table>\n");
  }

  private static String cell(String text, String cssClass) {
    return (cssClass.isEmpty() ? "<td>" : "<td class=\"" + cssClass + "\">")
        + escape(text)
        + "</td>";
  }

  private static String pct(double fraction) {
    return String.format(Locale.ROOT, "%.1f %%", 100 * fraction);
  }

  static String escape(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (char ch : s.toCharArray()) {
      switch (ch) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(ch);
      }
    }
    return out.toString();
  }
}
