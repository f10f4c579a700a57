package io.streamtrain.report;

import java.nio.file.Path;

/** Writes the synthetic run's report to a directory, to look at the chart while changing it. */
final class RenderSample {
  public static void main(String[] args) {
    int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    LearningCurves curves =
        LearningCurves.from("fashion-mlp", SyntheticRun.quickstart("fashion-mlp", epochs));
    System.out.println(ReportFiles.write(curves, Path.of(args[0])));
  }
}
