package io.streamtrain.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HtmlReportTest {

  @Test
  void shouldEmbedTheChartAndTabulateEveryEpochNextToTheReference(@TempDir Path dir)
      throws Exception {
    LearningCurves curves = LearningCurves.from("m", SyntheticRun.quickstart("m", 5));

    ReportFiles.Written written = ReportFiles.write(curves, dir.resolve("out"));

    String html = Files.readString(written.html());
    Matcher img = Pattern.compile("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"").matcher(html);
    assertTrue(img.find(), "no inline PNG");
    BufferedImage embedded =
        ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(img.group(1))));
    assertNotNull(embedded);
    assertEquals(LearningCurveChart.WIDTH, embedded.getWidth());
    assertTrue(html.contains("<td class=\"ours\">66.4 %</td><td class=\"ref\">64.6 %</td>"), html);
    assertTrue(html.contains("<td class=\"ref\">1.1077</td>"));
    assertTrue(html.contains("+1.8 pp"));
    assertFalse(html.contains("http://") || html.contains("https://"), "not self-contained");
    assertTrue(Files.size(written.png()) > 10_000);
  }

  @Test
  void shouldEscapeModelNamesAndEventDetails() {
    LearningCurves curves =
        new LearningCurves(
            "<script>",
            java.util.List.of(),
            java.util.List.of(),
            java.util.List.of(),
            java.util.List.of(new LearningCurves.Event(5, 1, "ROLLBACK", "a & b <c>", 0)),
            1,
            0);

    String html = HtmlReport.render(curves, new byte[] {1});

    assertFalse(html.contains("<script>"));
    assertTrue(html.contains("&lt;script&gt;"));
    assertTrue(html.contains("a &amp; b &lt;c&gt;"));
  }
}
