package io.streamtrain.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * The learning curve of a live run over wall-clock time: prequential accuracy and freshness (p50,
 * p99) per progress interval, with the moment the world changed (concept drift) marked. Written as
 * CSV (for any tool) and as one self-contained HTML page with an SVG chart.
 */
public final class LiveCurves {
  public static final String CSV = "live-curves.csv";
  public static final String HTML = "live-curves.html";

  /** One interval: seconds since the start, accuracy in [0,1], freshness in ms (NaN: none). */
  public record Point(
      double seconds, long events, long version, double accuracy, double p50Ms, double p99Ms) {}

  private static final int W = 960;
  private static final int H = 420;
  private static final int PAD = 60;

  private LiveCurves() {}

  /** Writes both files into {@code dir} (created if needed); {@code driftSeconds} < 0: none. */
  public static void write(Path dir, String title, List<Point> points, double driftSeconds) {
    try {
      Files.createDirectories(dir);
      StringBuilder csv = new StringBuilder("seconds,events,version,accuracy,p50_ms,p99_ms\n");
      for (Point p : points) {
        csv.append(
            String.format(
                Locale.ROOT,
                "%.1f,%d,%d,%.4f,%.0f,%.0f%n",
                p.seconds(),
                p.events(),
                p.version(),
                p.accuracy(),
                p.p50Ms(),
                p.p99Ms()));
      }
      Files.writeString(dir.resolve(CSV), csv);
      Files.writeString(dir.resolve(HTML), html(title, points, driftSeconds));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write the live report to " + dir, e);
    }
  }

  static String html(String title, List<Point> points, double driftSeconds) {
    double maxT = points.stream().mapToDouble(Point::seconds).max().orElse(1);
    double maxMs =
        Math.max(
            1000,
            points.stream()
                .mapToDouble(Point::p99Ms)
                .filter(x -> !Double.isNaN(x))
                .max()
                .orElse(1000));
    StringBuilder svg = new StringBuilder();
    svg.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d'"
                + " font-family='sans-serif' font-size='12'>",
            W,
            H));
    svg.append(
        String.format(
            Locale.ROOT,
            "<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#999'/>",
            PAD,
            PAD / 2,
            W - 2 * PAD,
            H - PAD - PAD / 2));
    for (int pct = 0; pct <= 100; pct += 20) {
      double y = y(pct / 100.0, 1);
      svg.append(
          String.format(
              Locale.ROOT,
              "<text x='%d' y='%.1f' text-anchor='end' fill='#1f77b4'>%d %%</text>",
              PAD - 6,
              y + 4,
              pct));
    }
    svg.append(
        String.format(
            Locale.ROOT,
            "<text x='%d' y='%.1f' fill='#d62728'>%.1f s</text>",
            W - PAD + 6,
            y(1, 1) + 4,
            maxMs / 1000));
    svg.append(
        String.format(
            Locale.ROOT,
            "<text x='%d' y='%d' text-anchor='middle'>seconds since start (0 to %.0f)</text>",
            W / 2,
            H - 12,
            maxT));
    if (driftSeconds >= 0) {
      double x = x(driftSeconds, maxT);
      svg.append(
          String.format(
              Locale.ROOT,
              "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#555' stroke-dasharray='6 4'/>"
                  + "<text x='%.1f' y='%d' fill='#555'>labels permuted (drift)</text>",
              x,
              PAD / 2,
              x,
              H - PAD,
              x + 4,
              PAD / 2 + 14));
    }
    svg.append(polyline(points, Point::accuracy, 1, maxT, "#1f77b4"));
    svg.append(polyline(points, Point::p50Ms, maxMs, maxT, "#ff7f0e"));
    svg.append(polyline(points, Point::p99Ms, maxMs, maxT, "#d62728"));
    svg.append("</svg>");
    return "<!doctype html><html><head><meta charset='utf-8'><title>"
        + escape(title)
        + "</title></head><body><h1>"
        + escape(title)
        + "</h1><p><span style='color:#1f77b4'>prequential accuracy (left)</span>,"
        + " <span style='color:#ff7f0e'>freshness p50</span> and"
        + " <span style='color:#d62728'>p99</span> (right, 0 to "
        + String.format(Locale.ROOT, "%.1f", maxMs / 1000)
        + " s), per progress interval; data in "
        + CSV
        + ".</p>"
        + svg
        + "</body></html>\n";
  }

  private static String polyline(
      List<Point> points, ToDoubleFunction<Point> value, double max, double maxT, String color) {
    StringBuilder sb = new StringBuilder("<polyline fill='none' stroke-width='2' stroke='");
    sb.append(color).append("' points='");
    for (Point p : points) {
      double v = value.applyAsDouble(p);
      if (!Double.isNaN(v)) {
        sb.append(
            String.format(
                Locale.ROOT, "%.1f,%.1f ", x(p.seconds(), maxT), y(Math.min(v, max), max)));
      }
    }
    return sb.append("'/>").toString();
  }

  private static double x(double seconds, double maxT) {
    return PAD + (W - 2 * PAD) * seconds / Math.max(maxT, 1e-9);
  }

  private static double y(double value, double max) {
    return H - PAD - (H - PAD - PAD / 2.0) * value / max;
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
