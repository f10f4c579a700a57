package io.streamtrain.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes a run's report into a directory: learning-curves.png and learning-curves.html. */
public final class ReportFiles {
  public static final String PNG = "learning-curves.png";
  public static final String HTML = "learning-curves.html";

  private ReportFiles() {}

  /** Where the two files went. */
  public record Written(Path png, Path html) {}

  public static Written write(LearningCurves curves, Path dir) {
    byte[] png = LearningCurveChart.png(curves);
    Path pngFile = dir.resolve(PNG);
    Path htmlFile = dir.resolve(HTML);
    try {
      Files.createDirectories(dir);
      Files.write(pngFile, png);
      Files.writeString(htmlFile, HtmlReport.render(curves, png), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot write the report to "
              + dir
              + " ("
              + e.getMessage()
              + "): pass a writable --out DIR",
          e);
    }
    return new Written(pngFile, htmlFile);
  }
}
