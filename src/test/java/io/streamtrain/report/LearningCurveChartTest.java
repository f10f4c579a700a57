package io.streamtrain.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.schema.MetricKind;
import io.streamtrain.schema.TrainingMetric;
import java.awt.Color;
import java.awt.geom.Point2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class LearningCurveChartTest {
  private static final LearningCurves RUN =
      LearningCurves.from("fashion-mlp", SyntheticRun.quickstart("fashion-mlp", 5));

  @Test
  void shouldEncodeAPngThatDecodesAtTheNativeSize() throws Exception {
    BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(LearningCurveChart.png(RUN)));

    assertNotNull(decoded, "ImageIO could not decode the PNG");
    assertEquals(LearningCurveChart.WIDTH, decoded.getWidth());
    assertEquals(LearningCurveChart.HEIGHT, decoded.getHeight());
  }

  @Test
  void shouldDrawEveryQuickstartReferencePointInThePerEpochPanel() throws Exception {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(LearningCurveChart.png(RUN)));

    for (int epoch = 1; epoch <= 5; epoch++) {
      double percent = 100 * QuickstartReference.accuracy(epoch).getAsDouble();
      Point2D.Double at = LearningCurveChart.epochPanelPoint(RUN, epoch, percent);
      // A hollow diamond: outline in the reference colour (our dots may hide its top vertex).
      assertTrue(
          near(image, at.x, at.y + 7, LearningCurveChart.REFERENCE, 2),
          "no reference marker outline below epoch " + epoch + " at " + at);
      assertTrue(
          near(image, at.x - 7, at.y, LearningCurveChart.REFERENCE, 2),
          "no reference marker outline left of epoch " + epoch);
    }
  }

  @Test
  void shouldDrawTheRunsTestAccuracyWhereItIsAndNothingWhereItIsNot() throws Exception {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(LearningCurveChart.png(RUN)));

    for (LearningCurves.EpochPoint e : RUN.testEpochs()) {
      Point2D.Double at = LearningCurveChart.epochPanelPoint(RUN, e.epoch(), 100 * e.accuracy());
      assertTrue(
          near(image, at.x, at.y, LearningCurveChart.TEST, 1),
          "no test-accuracy dot at epoch " + e.epoch());
    }
    Point2D.Double empty = LearningCurveChart.epochPanelPoint(RUN, 3, 90);
    assertFalse(near(image, empty.x, empty.y, LearningCurveChart.TEST, 3));
  }

  @Test
  void shouldDrawTheQuickstartTestLossAtTheEndOfEpochFive() throws Exception {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(LearningCurveChart.png(RUN)));
    long epochFiveEnd = RUN.epochEndSteps().get(5);

    Point2D.Double at =
        LearningCurveChart.lossPanelPoint(RUN, epochFiveEnd, QuickstartReference.TEST_LOSS);

    assertTrue(near(image, at.x - 7, at.y, LearningCurveChart.REFERENCE, 2), "at " + at);
    assertTrue(near(image, at.x, at.y + 7, LearningCurveChart.REFERENCE, 2), "at " + at);
  }

  @Test
  void shouldKeepTheLegendOffPointsInItsUsualCorner() {
    // A run whose loss stays high: its last test loss sits in the loss panel's top-right corner.
    List<TrainingMetric> flat =
        List.of(
            SyntheticRun.metric("m", 1, 1, MetricKind.BATCH, 2.30, null, null, 64L, 1),
            SyntheticRun.metric("m", 1, 94, MetricKind.TEST_EPOCH, 2.29, 0.14, null, 100L, 2),
            SyntheticRun.metric("m", 2, 100, MetricKind.PREQUENTIAL, 2.29, 0.1, 9.0, 64L, 3),
            SyntheticRun.metric("m", 2, 188, MetricKind.TEST_EPOCH, 2.27, 0.28, null, 100L, 4));
    LearningCurves curves = LearningCurves.from("m", flat);

    BufferedImage image = LearningCurveChart.render(curves);

    Point2D.Double last = LearningCurveChart.lossPanelPoint(curves, 188, 2.27);
    assertTrue(near(image, last.x, last.y, LearningCurveChart.TEST, 1), "legend hides " + last);
  }

  @Test
  void shouldScaleToTheRequestedSize() {
    BufferedImage small = LearningCurveChart.render(RUN, 700, 450);

    assertEquals(700, small.getWidth());
    assertEquals(450, small.getHeight());
  }

  @Test
  void shouldRenderARunWithoutTestEvaluationsOrWithManyEpochs() {
    List<LearningCurves> runs =
        List.of(
            LearningCurves.from("m", SyntheticRun.quickstart("m", 12)),
            new LearningCurves("m", RUN.batchLoss(), RUN.prequential(), List.of(), List.of(), 1, 0),
            LearningCurves.from("none", List.of()));
    for (LearningCurves curves : runs) {
      BufferedImage image = LearningCurveChart.render(curves);
      assertEquals(LearningCurveChart.WIDTH, image.getWidth());
    }
  }

  @Test
  void shouldRefuseASizeTooSmallToRead() {
    assertThrows(IllegalArgumentException.class, () -> LearningCurveChart.render(RUN, 100, 50));
  }

  @Test
  void shouldPickRoundTickSteps() {
    assertEquals(1000, LearningCurveChart.niceStep(4690, 5), 1e-9);
    assertEquals(5000, LearningCurveChart.niceCeil(4690), 1e-9);
    assertEquals(2.5, LearningCurveChart.niceCeil(2.4), 1e-9);
  }

  /** True when a pixel within {@code radius} of (x, y) is close to {@code color}. */
  private static boolean near(BufferedImage image, double x, double y, Color color, int radius) {
    for (int dx = -radius; dx <= radius; dx++) {
      for (int dy = -radius; dy <= radius; dy++) {
        int px = (int) Math.round(x) + dx;
        int py = (int) Math.round(y) + dy;
        if (px < 0 || py < 0 || px >= image.getWidth() || py >= image.getHeight()) {
          continue;
        }
        Color c = new Color(image.getRGB(px, py));
        int distance =
            Math.abs(c.getRed() - color.getRed())
                + Math.abs(c.getGreen() - color.getGreen())
                + Math.abs(c.getBlue() - color.getBlue());
        if (distance < 60) {
          return true;
        }
      }
    }
    return false;
  }
}
