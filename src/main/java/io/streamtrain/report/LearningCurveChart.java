package io.streamtrain.report;

import io.streamtrain.report.LearningCurves.EpochPoint;
import io.streamtrain.report.LearningCurves.Event;
import io.streamtrain.report.LearningCurves.StepPoint;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.Stroke;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.geom.Point2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;

/**
 * Draws {@link LearningCurves} with Java2D: loss and prequential accuracy per step (left), test
 * accuracy per epoch against the PyTorch quickstart's (right), and a table of the per-epoch
 * figures. Laid out on a 1400x900 canvas and scaled to the requested size.
 */
public final class LearningCurveChart {
  public static final int WIDTH = 1400;
  public static final int HEIGHT = 900;

  // One colour per source, the same in every panel.
  static final Color OURS = new Color(0x1f77b4);
  static final Color OURS_LIGHT = new Color(0xa6c8e6);
  static final Color TEST = new Color(0xd62728);
  static final Color REFERENCE = new Color(0x222222);
  private static final Color GRID = new Color(0xe6e6e6);
  private static final Color AXIS = new Color(0x555555);
  private static final Color MUTED = new Color(0x666666);
  private static final Color EPOCH_LINE = new Color(0xbbbbbb);

  private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 26);
  private static final Font SUBTITLE = new Font(Font.SANS_SERIF, Font.PLAIN, 16);
  private static final Font PANEL_TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 17);
  private static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 14);
  private static final Font SMALL = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
  private static final Font SMALL_BOLD = new Font(Font.SANS_SERIF, Font.BOLD, 13);

  private LearningCurveChart() {}

  /** The chart at its native 1400x900. */
  public static BufferedImage render(LearningCurves curves) {
    return render(curves, WIDTH, HEIGHT);
  }

  public static BufferedImage render(LearningCurves curves, int width, int height) {
    if (width < 200 || height < 130) {
      throw new IllegalArgumentException(
          "Chart size " + width + "x" + height + " is too small to read: use at least 200x130");
    }
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, width, height);
      g.scale(width / (double) WIDTH, height / (double) HEIGHT);
      new Drawing(g, curves).draw();
    } finally {
      g.dispose();
    }
    return image;
  }

  /** The chart at its native size, PNG-encoded. */
  public static byte[] png(LearningCurves curves) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(render(curves), "png", out)) {
        throw new IllegalStateException("This JRE has no PNG encoder (javax.imageio)");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot encode the learning-curve chart as PNG", e);
    }
    return out.toByteArray();
  }

  /** The loss panel: steps across, loss up. */
  private static Plot lossPlot(LearningCurves curves) {
    double steps = niceCeil(Math.max(1, curves.version()));
    return new Plot(new Rectangle(90, 130, 840, 300), 0, steps, 0, lossCeiling(curves));
  }

  /** The accuracy panel: steps across as in the loss panel, accuracy 0-100 % up. */
  private static Plot accuracyPlot(LearningCurves curves) {
    return new Plot(new Rectangle(90, 530, 840, 300), 0, lossPlot(curves).xMax(), 0, 100);
  }

  /** Where the loss panel draws (step, loss) on the 1400x900 canvas; for tests. */
  static Point2D.Double lossPanelPoint(LearningCurves curves, double step, double loss) {
    Plot p = lossPlot(curves);
    return new Point2D.Double(p.x(step), p.y(loss));
  }

  /** The loss axis' top: covers the mean curves and test losses; single batches may clip. */
  private static double lossCeiling(LearningCurves c) {
    double max = 0;
    for (StepPoint p : c.prequential()) {
      max = finiteMax(max, p.loss());
    }
    for (EpochPoint p : c.testEpochs()) {
      max = finiteMax(max, p.averageLoss());
    }
    double batchMax = 0;
    for (StepPoint p : c.batchLoss()) {
      batchMax = finiteMax(batchMax, p.loss());
    }
    // Single-batch spikes should not flatten the curves that matter.
    max = max == 0 ? batchMax : Math.max(max, Math.min(batchMax, 1.5 * max));
    max = Math.max(max, QuickstartReference.TEST_LOSS);
    return niceCeil(max * 1.05);
  }

  /** The per-epoch panel: epochs 1..max(5, last) across, test accuracy 0-100 % up. */
  private static Plot epochPlot(LearningCurves curves) {
    int epochs = Math.max(QuickstartReference.epochs(), curves.lastEpoch());
    return new Plot(new Rectangle(1030, 130, 340, 300), 0.5, epochs + 0.5, 0, 100);
  }

  /** Where the per-epoch panel draws (epoch, accuracy %) on the 1400x900 canvas; for tests. */
  static Point2D.Double epochPanelPoint(LearningCurves curves, double epoch, double percent) {
    Plot p = epochPlot(curves);
    return new Point2D.Double(p.x(epoch), p.y(percent));
  }

  /** A rectangle of the canvas mapped to data ranges. */
  private record Plot(Rectangle area, double xMin, double xMax, double yMin, double yMax) {
    double x(double v) {
      return area.x + (v - xMin) / (xMax - xMin) * area.width;
    }

    double y(double v) {
      return area.y + area.height - (v - yMin) / (yMax - yMin) * area.height;
    }
  }

  private record LegendEntry(String label, Color color, Stroke stroke, Marker marker) {}

  private enum Marker {
    NONE,
    DOT,
    DIAMOND,
    TRIANGLE
  }

  /** One rendering pass; holds the graphics and the data. */
  private static final class Drawing {
    private final Graphics2D g;
    private final LearningCurves c;
    private final Map<Integer, Long> epochEnds;
    // Canvas points the current panel's data covers, so its legend can avoid them.
    private final List<Point2D> occupied = new ArrayList<>();

    Drawing(Graphics2D g, LearningCurves curves) {
      this.g = g;
      this.c = curves;
      this.epochEnds = curves.epochEndSteps();
    }

    void draw() {
      drawTitle();
      if (c.isEmpty()) {
        g.setFont(PANEL_TITLE);
        g.setColor(MUTED);
        g.drawString("No training metrics of model " + c.modelName() + " yet.", 60, 200);
        return;
      }
      drawLossPanel(lossPlot(c));
      drawAccuracyPanel(accuracyPlot(c));
      drawEpochPanel(epochPlot(c));
      int below = drawTable(960, 530);
      if (below + 28 + 3 * 20 <= HEIGHT) {
        drawNotes(960, below + 28);
      }
    }

    private void drawNotes(int x, int y) {
      g.setFont(SMALL);
      g.setColor(MUTED);
      String[] lines = {
        "Prequential: each batch is scored before training on it.",
        "Test: the held-out set after each epoch, as in test().",
        "Quickstart: PyTorch's tutorial, SGD lr=1e-3, batch 64."
      };
      for (String line : lines) {
        g.drawString(line, x, y);
        y += 20;
      }
    }

    private void drawTitle() {
      g.setColor(Color.BLACK);
      g.setFont(TITLE);
      g.drawString(
          "Learning curves — model " + c.modelName() + ", version " + grouped(c.version()), 40, 48);
      g.setFont(SUBTITLE);
      g.setColor(MUTED);
      g.drawString(subtitle(), 40, 78);
    }

    private String subtitle() {
      List<String> parts = new ArrayList<>();
      int epochs = c.testEpochs().size();
      parts.add(epochs + (epochs == 1 ? " epoch evaluated" : " epochs evaluated"));
      parts.add(grouped(c.version()) + " steps");
      if (!c.testEpochs().isEmpty()) {
        EpochPoint last = c.testEpochs().get(c.testEpochs().size() - 1);
        String ref =
            QuickstartReference.accuracy(last.epoch()).isPresent()
                ? String.format(
                    Locale.ROOT,
                    " (quickstart %.1f %%)",
                    100 * QuickstartReference.accuracy(last.epoch()).getAsDouble())
                : "";
        parts.add(
            String.format(
                Locale.ROOT,
                "test accuracy after epoch %d: %.1f %%%s",
                last.epoch(),
                100 * last.accuracy(),
                ref));
      }
      double rate = c.trainingImagesPerSecond();
      if (Double.isFinite(rate)) {
        parts.add(String.format(Locale.ROOT, "%,.0f images/s", rate));
      }
      if (c.elapsedSeconds() > 0) {
        parts.add(duration(c.elapsedSeconds()));
      }
      return String.join("  ·  ", parts);
    }

    private void drawLossPanel(Plot p) {
      drawFrame(
          p,
          "Loss per training step",
          "training step (mini-batches of the run)",
          "loss",
          v -> format(v, p.yMax() - p.yMin()));
      drawEpochBoundaries(p);
      Shape clip = g.getClip();
      g.clip(new Rectangle(p.area().x, p.area().y - 1, p.area().width + 1, p.area().height + 2));
      drawSeries(p, c.batchLoss(), StepPoint::loss, OURS_LIGHT, new BasicStroke(1.2f));
      drawSeries(p, c.prequential(), StepPoint::loss, OURS, new BasicStroke(2.6f));
      g.setClip(clip);
      List<LegendEntry> legend = new ArrayList<>();
      if (!c.batchLoss().isEmpty()) {
        legend.add(line("loss of one batch (every 100th)", OURS_LIGHT, 1.2f));
      }
      if (!c.prequential().isEmpty()) {
        legend.add(line("prequential loss (mean of the last steps)", OURS, 2.6f));
      }
      if (!c.testEpochs().isEmpty()) {
        legend.add(marker("test avg loss after each epoch", TEST, Marker.DOT));
      }
      for (EpochPoint e : c.testEpochs()) {
        drawMarker(Marker.DOT, TEST, p.x(e.step()), p.y(e.averageLoss()), 5, true);
      }
      boolean referenceShown = false;
      Long refStep = epochEnds.get(QuickstartReference.TEST_LOSS_EPOCH);
      if (refStep != null && hasTest(QuickstartReference.TEST_LOSS_EPOCH)) {
        drawMarker(
            Marker.DIAMOND, REFERENCE, p.x(refStep), p.y(QuickstartReference.TEST_LOSS), 7, false);
        referenceShown = true;
      }
      if (referenceShown) {
        legend.add(
            marker("PyTorch quickstart test loss (epoch 5: 1.1077)", REFERENCE, Marker.DIAMOND));
      }
      drawEvents(p, legend);
      drawLegend(p, legend, true);
    }

    private void drawAccuracyPanel(Plot p) {
      drawFrame(
          p,
          "Accuracy per training step",
          "training step (mini-batches of the run)",
          "accuracy (%)",
          v -> format(v, p.yMax() - p.yMin()));
      drawEpochBoundaries(p);
      drawSeries(p, c.prequential(), s -> 100 * s.accuracy(), OURS, new BasicStroke(2.6f));
      List<LegendEntry> legend = new ArrayList<>();
      if (!c.prequential().isEmpty()) {
        legend.add(line("prequential accuracy (test-then-train)", OURS, 2.6f));
      }
      if (!c.testEpochs().isEmpty()) {
        legend.add(marker("test accuracy after each epoch", TEST, Marker.DOT));
      }
      boolean anyReference = false;
      for (Map.Entry<Integer, Long> end : epochEnds.entrySet()) {
        OptionalDouble ref = QuickstartReference.accuracy(end.getKey());
        if (ref.isPresent() && hasTest(end.getKey())) {
          drawMarker(
              Marker.DIAMOND,
              REFERENCE,
              p.x(end.getValue()),
              p.y(100 * ref.getAsDouble()),
              7,
              false);
          anyReference = true;
        }
      }
      for (EpochPoint e : c.testEpochs()) {
        drawMarker(Marker.DOT, TEST, p.x(e.step()), p.y(100 * e.accuracy()), 5, true);
      }
      if (anyReference) {
        legend.add(marker("PyTorch quickstart test accuracy", REFERENCE, Marker.DIAMOND));
      }
      drawLegend(p, legend, false);
    }

    private void drawEpochPanel(Plot p) {
      drawFrame(
          p,
          "Test accuracy per epoch",
          "epoch",
          "test accuracy (%)",
          v -> format(v, p.yMax() - p.yMin()));
      // Epoch ticks are integers; the frame drew nice ticks for x, so redraw them here.
      List<double[]> ours = new ArrayList<>();
      for (EpochPoint e : c.testEpochs()) {
        ours.add(new double[] {e.epoch(), 100 * e.accuracy()});
      }
      List<double[]> reference = new ArrayList<>();
      for (int epoch = 1; epoch <= QuickstartReference.epochs(); epoch++) {
        reference.add(
            new double[] {epoch, 100 * QuickstartReference.accuracy(epoch).getAsDouble()});
      }
      drawPolyline(p, reference, REFERENCE, dashed(1.8f));
      drawPolyline(p, ours, TEST, new BasicStroke(2.6f));
      g.setFont(SMALL_BOLD);
      for (double[] r : reference) {
        double mine = valueAt(ours, r[0]);
        boolean above = Double.isNaN(mine) || r[1] >= mine;
        drawMarker(Marker.DIAMOND, REFERENCE, p.x(r[0]), p.y(r[1]), 7, false);
        label(String.format(Locale.ROOT, "%.1f", r[1]), REFERENCE, p.x(r[0]), p.y(r[1]), above);
      }
      for (double[] o : ours) {
        double ref = valueAt(reference, o[0]);
        boolean above = Double.isNaN(ref) || o[1] > ref;
        drawMarker(Marker.DOT, TEST, p.x(o[0]), p.y(o[1]), 5, true);
        if (ours.size() <= 12) {
          label(String.format(Locale.ROOT, "%.1f", o[1]), TEST, p.x(o[0]), p.y(o[1]), above);
        }
      }
      List<LegendEntry> legend = new ArrayList<>();
      legend.add(new LegendEntry("streamtrain", TEST, new BasicStroke(2.6f), Marker.DOT));
      legend.add(new LegendEntry("PyTorch quickstart", REFERENCE, dashed(1.8f), Marker.DIAMOND));
      drawLegend(p, legend, false);
    }

    /** Per-epoch figures next to the reference; long runs show epochs 1-5 and the last ones. */
    /** Returns the baseline of the last line it drew. */
    private int drawTable(int x, int top) {
      g.setColor(Color.BLACK);
      g.setFont(PANEL_TITLE);
      g.drawString("Per epoch vs the PyTorch quickstart", x, top - 14);
      // Right edges of: epoch, our accuracy, reference accuracy, our loss, reference loss.
      int[] columns = {x + 45, x + 150, x + 240, x + 335, x + 420};
      int rowHeight = 26;
      g.setFont(SMALL_BOLD);
      g.setColor(MUTED);
      centered("test accuracy", (columns[0] + columns[2]) / 2 + 10, top + 6);
      centered("avg test loss", (columns[2] + columns[4]) / 2 + 10, top + 6);
      g.setColor(EPOCH_LINE);
      g.draw(new Line2D.Double(columns[0] + 20, top + 12, columns[2], top + 12));
      g.draw(new Line2D.Double(columns[2] + 20, top + 12, columns[4], top + 12));
      int y = top + 30;
      g.setColor(MUTED);
      rightAligned("epoch", columns[0], y);
      g.setColor(TEST);
      rightAligned("streamtrain", columns[1], y);
      rightAligned("streamtrain", columns[3], y);
      g.setColor(REFERENCE);
      rightAligned("quickstart", columns[2], y);
      rightAligned("quickstart", columns[4], y);
      g.setColor(EPOCH_LINE);
      g.draw(new Line2D.Double(x, y + 8, columns[4], y + 8));
      y += rowHeight;
      List<Integer> rows = tableEpochs();
      g.setFont(LABEL);
      for (int epoch : rows) {
        if (epoch < 0) {
          g.setColor(MUTED);
          rightAligned("…", columns[0], y);
          y += rowHeight;
          continue;
        }
        EpochPoint e =
            c.testEpochs().stream().filter(t -> t.epoch() == epoch).findFirst().orElse(null);
        OptionalDouble ref = QuickstartReference.accuracy(epoch);
        OptionalDouble refLoss = QuickstartReference.testLoss(epoch);
        g.setColor(Color.BLACK);
        rightAligned(String.valueOf(epoch), columns[0], y);
        g.setColor(TEST);
        rightAligned(e == null ? "–" : percent(e.accuracy()), columns[1], y);
        g.setColor(REFERENCE);
        rightAligned(ref.isPresent() ? percent(ref.getAsDouble()) : "–", columns[2], y);
        g.setColor(TEST);
        rightAligned(
            e == null ? "–" : String.format(Locale.ROOT, "%.4f", e.averageLoss()), columns[3], y);
        g.setColor(REFERENCE);
        rightAligned(
            refLoss.isPresent() ? String.format(Locale.ROOT, "%.4f", refLoss.getAsDouble()) : "–",
            columns[4],
            y);
        y += rowHeight;
      }
      g.setColor(EPOCH_LINE);
      g.draw(new Line2D.Double(x, y - rowHeight + 10, columns[4], y - rowHeight + 10));
      g.setFont(SMALL);
      g.setColor(MUTED);
      y += 6;
      java.util.Optional<StepPoint> last = c.lastPrequential();
      if (last.isPresent()) {
        g.drawString(
            String.format(
                Locale.ROOT,
                "last prequential: accuracy %.1f %%, loss %.4f at step %s",
                100 * last.get().accuracy(),
                last.get().loss(),
                grouped(last.get().step())),
            x,
            y);
      }
      long rollbacks = c.events().stream().filter(e -> e.kind().equals("ROLLBACK")).count();
      if (rollbacks > 0 || c.superseded() > 0) {
        y += 20;
        g.drawString(
            String.format(
                Locale.ROOT,
                "%d rollback(s); %d point(s) superseded by restarts",
                rollbacks,
                c.superseded()),
            x,
            y);
      }
      return y;
    }

    private List<Integer> tableEpochs() {
      int last = Math.max(QuickstartReference.epochs(), c.lastEpoch());
      List<Integer> rows = new ArrayList<>();
      int maxRows = 8;
      if (last <= maxRows) {
        for (int e = 1; e <= last; e++) {
          rows.add(e);
        }
        return rows;
      }
      for (int e = 1; e <= QuickstartReference.epochs(); e++) {
        rows.add(e);
      }
      rows.add(-1);
      for (int e = last - (maxRows - QuickstartReference.epochs() - 2); e <= last; e++) {
        rows.add(e);
      }
      return rows;
    }

    private boolean hasTest(int epoch) {
      return c.testEpochs().stream().anyMatch(e -> e.epoch() == epoch);
    }

    private void drawFrame(
        Plot p,
        String title,
        String xLabel,
        String yLabel,
        java.util.function.DoubleFunction<String> yFormat) {
      occupied.clear();
      Rectangle a = p.area();
      g.setFont(PANEL_TITLE);
      g.setColor(Color.BLACK);
      g.drawString(title, a.x, a.y - 14);
      g.setFont(SMALL);
      FontMetrics fm = g.getFontMetrics();
      double yStep = niceStep(p.yMax() - p.yMin(), 5);
      for (double v = p.yMin(); v <= p.yMax() + yStep / 1e6; v += yStep) {
        double y = p.y(v);
        g.setColor(GRID);
        g.draw(new Line2D.Double(a.x, y, a.x + a.width, y));
        g.setColor(AXIS);
        String s = yFormat.apply(v);
        g.drawString(s, a.x - 8 - fm.stringWidth(s), (float) (y + fm.getAscent() / 2.0 - 1));
      }
      boolean integerX = xLabel.equals("epoch");
      double xStep =
          integerX
              ? Math.max(1, Math.ceil(niceStep(p.xMax() - p.xMin(), 6)))
              : niceStep(p.xMax() - p.xMin(), 8);
      double xStart = integerX ? 1 : p.xMin();
      for (double v = xStart; v <= p.xMax() + xStep / 1e6; v += xStep) {
        double x = p.x(v);
        g.setColor(GRID);
        g.draw(new Line2D.Double(x, a.y, x, a.y + a.height));
        g.setColor(AXIS);
        g.draw(new Line2D.Double(x, a.y + a.height, x, a.y + a.height + 5));
        String s = integerX ? String.valueOf((long) v) : grouped(Math.round(v));
        g.drawString(s, (float) (x - fm.stringWidth(s) / 2.0), a.y + a.height + 8 + fm.getAscent());
      }
      g.setColor(AXIS);
      g.setStroke(new BasicStroke(1.2f));
      g.draw(new Rectangle(a.x, a.y, a.width, a.height));
      g.setFont(LABEL);
      FontMetrics lm = g.getFontMetrics();
      g.drawString(
          xLabel,
          a.x + (a.width - lm.stringWidth(xLabel)) / 2,
          a.y + a.height + 24 + lm.getAscent());
      Graphics2D rotated = (Graphics2D) g.create();
      try {
        rotated.translate(a.x - 58, a.y + a.height / 2.0 + lm.stringWidth(yLabel) / 2.0);
        rotated.rotate(-Math.PI / 2);
        rotated.drawString(yLabel, 0, 0);
      } finally {
        rotated.dispose();
      }
    }

    private void drawEpochBoundaries(Plot p) {
      Rectangle a = p.area();
      g.setFont(SMALL);
      FontMetrics fm = g.getFontMetrics();
      long previous = 0;
      int lastEpoch = c.lastEpoch();
      boolean labels = epochEnds.size() <= 12;
      for (Map.Entry<Integer, Long> end : epochEnds.entrySet()) {
        double x = p.x(end.getValue());
        boolean finished = end.getKey() < lastEpoch || hasTest(end.getKey());
        if (finished) {
          g.setColor(EPOCH_LINE);
          g.setStroke(dashed(1.2f));
          g.draw(new Line2D.Double(x, a.y, x, a.y + a.height));
        }
        if (labels) {
          String s = "epoch " + end.getKey();
          double mid = (p.x(previous) + x) / 2;
          if (p.x(end.getValue()) - p.x(previous) > fm.stringWidth(s) + 6) {
            g.setColor(MUTED);
            g.drawString(s, (float) (mid - fm.stringWidth(s) / 2.0), a.y + fm.getAscent() + 4);
          }
        }
        previous = end.getValue();
      }
      g.setStroke(new BasicStroke(1f));
    }

    private void drawEvents(Plot p, List<LegendEntry> legend) {
      boolean any = false;
      for (Event e : c.events()) {
        if (e.kind().equals("ROLLBACK")) {
          drawMarker(
              Marker.TRIANGLE, TEST, p.x(e.step()), p.area().y + p.area().height - 8, 7, true);
          any = true;
        }
      }
      if (any) {
        legend.add(marker("rollback to the last good snapshot", TEST, Marker.TRIANGLE));
      }
    }

    private void drawSeries(
        Plot p,
        List<StepPoint> points,
        ToDoubleFunction<StepPoint> value,
        Color color,
        Stroke stroke) {
      List<double[]> xy = new ArrayList<>(points.size());
      for (StepPoint s : points) {
        xy.add(new double[] {s.step(), value.applyAsDouble(s)});
      }
      drawPolyline(p, xy, color, stroke);
    }

    /** A line through the finite points; a non-finite value breaks the line. */
    private void drawPolyline(Plot p, List<double[]> xy, Color color, Stroke stroke) {
      Path2D.Double path = new Path2D.Double();
      boolean open = false;
      int drawn = 0;
      for (double[] point : xy) {
        if (!Double.isFinite(point[1])) {
          open = false;
          continue;
        }
        double x = p.x(point[0]);
        double y = p.y(point[1]);
        if (open) {
          Point2D from = path.getCurrentPoint();
          int samples = (int) Math.ceil(from.distance(x, y) / 4);
          for (int i = 1; i <= samples; i++) {
            double t = i / (double) samples;
            occupied.add(
                new Point2D.Double(
                    from.getX() + t * (x - from.getX()), from.getY() + t * (y - from.getY())));
          }
          path.lineTo(x, y);
        } else {
          occupied.add(new Point2D.Double(x, y));
          path.moveTo(x, y);
          open = true;
        }
        drawn++;
      }
      g.setColor(color);
      g.setStroke(stroke);
      if (drawn == 1) {
        double[] only = xy.stream().filter(v -> Double.isFinite(v[1])).findFirst().orElseThrow();
        drawMarker(Marker.DOT, color, p.x(only[0]), p.y(only[1]), 3, true);
      } else {
        g.draw(path);
      }
      g.setStroke(new BasicStroke(1f));
    }

    /** A marker for a data point, which the legend should not cover. */
    private void drawMarker(
        Marker marker, Color color, double x, double y, double r, boolean filled) {
      occupied.add(new Point2D.Double(x, y));
      for (int i = 0; i < 8; i++) {
        double angle = i * Math.PI / 4;
        occupied.add(new Point2D.Double(x + r * Math.cos(angle), y + r * Math.sin(angle)));
      }
      drawShape(marker, color, x, y, r, filled);
    }

    private void drawShape(
        Marker marker, Color color, double x, double y, double r, boolean filled) {
      Shape shape =
          switch (marker) {
            case DOT -> new Ellipse2D.Double(x - r, y - r, 2 * r, 2 * r);
            case DIAMOND -> {
              Path2D.Double d = new Path2D.Double();
              d.moveTo(x, y - r);
              d.lineTo(x + r, y);
              d.lineTo(x, y + r);
              d.lineTo(x - r, y);
              d.closePath();
              yield d;
            }
            case TRIANGLE -> {
              Path2D.Double t = new Path2D.Double();
              t.moveTo(x, y - r);
              t.lineTo(x + r, y + r * 0.8);
              t.lineTo(x - r, y + r * 0.8);
              t.closePath();
              yield t;
            }
            case NONE -> null;
          };
      if (shape == null) {
        return;
      }
      if (filled) {
        g.setColor(color);
        g.fill(shape);
        g.setColor(Color.WHITE);
        g.setStroke(new BasicStroke(1.2f));
        g.draw(shape);
      } else {
        g.setColor(Color.WHITE);
        g.fill(shape);
        g.setColor(color);
        g.setStroke(new BasicStroke(2f));
        g.draw(shape);
      }
      g.setStroke(new BasicStroke(1f));
    }

    private void label(String text, Color color, double x, double y, boolean above) {
      FontMetrics fm = g.getFontMetrics();
      g.setColor(color);
      float ty = (float) (above ? y - 11 : y + 11 + fm.getAscent());
      float tx = (float) (x - fm.stringWidth(text) / 2.0);
      g.drawString(text, tx, ty);
      occupied.add(new Point2D.Double(tx, ty));
      occupied.add(new Point2D.Double(tx + fm.stringWidth(text), ty - fm.getAscent()));
    }

    /**
     * A legend box in the corner of the panel that covers the fewest data points: the upper (or
     * lower) right one unless the data is there.
     */
    private void drawLegend(Plot p, List<LegendEntry> entries, boolean top) {
      if (entries.isEmpty()) {
        return;
      }
      g.setFont(SMALL);
      FontMetrics fm = g.getFontMetrics();
      int width = 0;
      for (LegendEntry e : entries) {
        width = Math.max(width, fm.stringWidth(e.label()));
      }
      int rowHeight = 20;
      int boxWidth = width + 54;
      int boxHeight = entries.size() * rowHeight + 10;
      Rectangle a = p.area();
      int right = a.x + a.width - boxWidth - 10;
      int left = a.x + 10;
      int upper = a.y + 26;
      int lower = a.y + a.height - boxHeight - 10;
      int[][] corners =
          top
              ? new int[][] {{right, upper}, {right, lower}, {left, upper}, {left, lower}}
              : new int[][] {{right, lower}, {right, upper}, {left, lower}, {left, upper}};
      int bx = corners[0][0];
      int by = corners[0][1];
      long fewest = Long.MAX_VALUE;
      for (int[] corner : corners) {
        Rectangle box = new Rectangle(corner[0] - 4, corner[1] - 4, boxWidth + 8, boxHeight + 8);
        long covered = occupied.stream().filter(box::contains).count();
        if (covered < fewest) {
          fewest = covered;
          bx = corner[0];
          by = corner[1];
        }
      }
      g.setColor(new Color(255, 255, 255, 235));
      g.fillRoundRect(bx, by, boxWidth, boxHeight, 8, 8);
      g.setColor(GRID.darker());
      g.drawRoundRect(bx, by, boxWidth, boxHeight, 8, 8);
      int y = by + 5 + rowHeight / 2;
      for (LegendEntry e : entries) {
        if (e.stroke() != null) {
          g.setColor(e.color());
          g.setStroke(e.stroke());
          g.draw(new Line2D.Double(bx + 8, y, bx + 38, y));
          g.setStroke(new BasicStroke(1f));
        }
        drawShape(
            e.marker(),
            e.color(),
            bx + 23,
            y,
            e.marker() == Marker.DIAMOND ? 6 : 5,
            e.marker() != Marker.DIAMOND);
        g.setColor(Color.BLACK);
        g.drawString(e.label(), bx + 46, y + fm.getAscent() / 2 - 1);
        y += rowHeight;
      }
    }

    private void centered(String text, int middle, int y) {
      g.drawString(text, middle - g.getFontMetrics().stringWidth(text) / 2, y);
    }

    private void rightAligned(String text, int right, int y) {
      g.drawString(text, right - g.getFontMetrics().stringWidth(text), y);
    }
  }

  private static LegendEntry line(String label, Color color, float width) {
    return new LegendEntry(label, color, new BasicStroke(width), Marker.NONE);
  }

  private static LegendEntry marker(String label, Color color, Marker marker) {
    return new LegendEntry(label, color, null, marker);
  }

  private static Stroke dashed(float width) {
    return new BasicStroke(
        width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1f, new float[] {6f, 5f}, 0f);
  }

  private static double valueAt(List<double[]> xy, double x) {
    for (double[] p : xy) {
      if (p[0] == x) {
        return p[1];
      }
    }
    return Double.NaN;
  }

  private static double finiteMax(double max, double v) {
    return Double.isFinite(v) ? Math.max(max, v) : max;
  }

  /** A round step (1, 2 or 5 times a power of ten) giving about {@code ticks} intervals. */
  static double niceStep(double range, int ticks) {
    if (!(range > 0)) {
      return 1;
    }
    double rough = range / ticks;
    double magnitude = Math.pow(10, Math.floor(Math.log10(rough)));
    double r = rough / magnitude;
    double nice = r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10;
    return nice * magnitude;
  }

  /** The smallest multiple of a nice step that is at least {@code value}. */
  static double niceCeil(double value) {
    if (!(value > 0)) {
      return 1;
    }
    double step = niceStep(value, 5);
    return Math.ceil(value / step - 1e-9) * step;
  }

  private static String format(double v, double range) {
    double step = niceStep(range, 5);
    int decimals = Math.max(0, (int) -Math.floor(Math.log10(step) + 1e-9));
    return String.format(Locale.ROOT, "%." + decimals + "f", v);
  }

  static String grouped(long v) {
    return String.format(Locale.ROOT, "%,d", v);
  }

  private static String percent(double fraction) {
    return String.format(Locale.ROOT, "%.1f %%", 100 * fraction);
  }

  private static String duration(double seconds) {
    long s = Math.round(seconds);
    if (s < 60) {
      return s + " s";
    }
    if (s < 3600) {
      return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
    }
    return String.format(Locale.ROOT, "%d h %02d min", s / 3600, (s % 3600) / 60);
  }
}
