package io.streamtrain.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.geom.Point2D;
import java.awt.image.BufferedImage;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The records of a real 5-epoch reference run (produce, replay, train --epochs 5 on the embedded
 * broker; report --dump), so the report is checked against what the trainer actually publishes.
 */
class RecordedRunTest {

  @Test
  void shouldReadARecordedQuickstartRunIntoFiveEvaluatedEpochs() throws Exception {
    LearningCurves curves = LearningCurves.from("fashion-mlp", MetricLines.read(resource()));

    assertEquals(4_690, curves.version());
    assertEquals(List.of(1, 2, 3, 4, 5), curves.testEpochs().stream().map(e -> e.epoch()).toList());
    assertEquals(0.6456, curves.testEpochs().get(4).accuracy(), 1e-12);
    assertEquals(46, curves.prequential().size());
    assertEquals(0, curves.superseded());
    assertTrue(curves.trainingImagesPerSecond() > 0);

    BufferedImage image = LearningCurveChart.render(curves);
    Point2D.Double epoch5 = LearningCurveChart.epochPanelPoint(curves, 5, 64.56);
    assertTrue(epoch5.y > 130 && epoch5.y < 430);
    assertEquals(LearningCurveChart.HEIGHT, image.getHeight());
  }

  private static Path resource() throws URISyntaxException {
    return Path.of(RecordedRunTest.class.getResource("/report/quickstart-5-epochs.jsonl").toURI());
  }
}
