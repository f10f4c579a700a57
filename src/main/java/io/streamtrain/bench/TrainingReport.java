package io.streamtrain.bench;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/** The training benchmark's figures as a table, ratios, memory and, if asked, one JSON line. */
final class TrainingReport {
  private TrainingReport() {}

  /**
   * @param heap the forked JVM's heap size as given to {@code --heap}
   */
  static void print(PrintStream out, TrainingBenchmark.Result result, String heap, boolean json) {
    TrainingBenchmark.Options options = result.options();
    TrainingSide before = result.before();
    TrainingSide pipeline = result.pipeline();
    TrainingSide after = result.after();
    int epochs = options.epochs();
    int warmUpEpochs = options.warmUpEpochs();
    TrainingSide memory = TrainingSide.together("in-memory DJL loop, both runs", before, after);
    double ratio = pipeline.imagesPerSecond() / memory.imagesPerSecond();
    out.printf(Locale.ROOT, "%-55s %12s %10s %10s%n", "side", "images/s", "steps/s", "seconds");
    for (TrainingSide s : List.of(before, pipeline, after)) {
      out.printf(
          Locale.ROOT,
          "%-55s %,12.0f %10.1f %10.2f%n",
          s.name(),
          s.imagesPerSecond(),
          s.stepsPerSecond(),
          s.seconds());
    }
    out.printf(
        Locale.ROOT,
        "pipeline / in-memory images/s: %.3f (the in-memory loop's runs before and after"
            + " together; %.3f and %.3f against each alone)%n",
        ratio,
        pipeline.imagesPerSecond() / before.imagesPerSecond(),
        pipeline.imagesPerSecond() / after.imagesPerSecond());
    out.println(
        "seconds per epoch: in-memory before "
            + seconds(before.epochSeconds())
            + ", after "
            + seconds(after.epochSeconds())
            + ", pipeline "
            + seconds(pipeline.epochSeconds()));
    if (epochs > 1) {
      out.printf(
          Locale.ROOT,
          "after the first epoch (epochs 2-%d): pipeline / in-memory images/s: %.3f%n",
          epochs,
          memory.secondsAfterFirstEpoch() / pipeline.secondsAfterFirstEpoch());
    }
    out.printf(
        Locale.ROOT,
        warmUpEpochs > 0
            ? "pipeline clock: from the end of warm-up epoch %d to the last step, the feed one"
                + " epoch ahead; trainer start-up %.2f s, not counted%n"
            : "pipeline clock: from the first replay's start (cold, %d warm-up epochs) to the"
                + " last step; trainer start-up %.2f s, not counted%n",
        warmUpEpochs,
        pipeline.startupSeconds());
    out.printf(
        Locale.ROOT,
        "jvm: heap %,d MB, %s%n",
        Runtime.getRuntime().maxMemory() >> 20,
        ForkedJvm.isChild()
            ? "fixed and touched up front (forked with -Xms" + heap + " -Xmx" + heap + ")"
            : "this JVM's own options (--no-fork)");
    out.printf(
        Locale.ROOT,
        "snapshot: %,d bytes, publish (acks=all) %.1f ms%n",
        pipeline.snapshotBytes(),
        pipeline.snapshotPublishMillis());
    out.println(
        "resident memory after each epoch (MB): in-memory (before) "
            + mb(memory.rssAfterEpochBytes())
            + ", pipeline "
            + mb(pipeline.rssAfterEpochBytes()));
    List<Long> r = pipeline.rssAfterEpochBytes();
    if (r.size() > 1) {
      out.printf(
          Locale.ROOT,
          "pipeline RSS last/first epoch: %.3f%n",
          (double) r.get(r.size() - 1) / r.get(0));
    }
    double bytesPerImage = pipeline.allocatedBytesPerImage();
    double feedMicros = pipeline.feedCpuMicrosPerImage();
    double stepMicros = pipeline.stepCpuMicrosPerImage();
    out.printf(
        Locale.ROOT,
        "pipeline cost per image (the trainer's threads, JVM counters; CPU time, not waiting for a"
            + " core): %,.0f bytes allocated, %.2f us CPU feeding (stream threads and their"
            + " clients), %.2f us CPU stepping (training thread)%n",
        bytesPerImage,
        feedMicros,
        stepMicros);
    if (options.feed()) {
      out.printf(
          Locale.ROOT,
          "feed ceiling (%s): %,.0f images/s, %.3f of the in-memory loop's %,.0f images/s%n",
          Objects.requireNonNullElse(
              options.trainingFlags().get("architecture"), "the preset's model"),
          pipeline.imagesPerSecond(),
          ratio,
          memory.imagesPerSecond());
    }
    if (json) {
      String feed =
          options.feed()
              ? String.format(
                  Locale.ROOT,
                  "\"feedCeilingImagesPerSecond\":%.1f,\"feedCeilingRatio\":%.4f,",
                  pipeline.imagesPerSecond(),
                  ratio)
              : "";
      out.print("{" + feed);
      out.printf(
          Locale.ROOT,
          "\"inMemoryImagesPerSecond\":%.1f,\"pipelineImagesPerSecond\":%.1f,\"ratio\":%.4f,"
              + "\"inMemoryStepsPerSecond\":%.2f,\"pipelineStepsPerSecond\":%.2f,\"snapshotBytes\":%d,"
              + "\"snapshotPublishMillis\":%.2f,\"pipelineRssBytes\":%s,\"inMemoryRssBytes\":%s,"
              + "\"trainerStartupSeconds\":%.3f,\"warmupEpochs\":%d,\"forked\":%b,\"heapMaxBytes\":%d,\"inMemoryEpochSeconds\":%s,"
              + "\"pipelineEpochSeconds\":%s,\"inMemoryBeforeImagesPerSecond\":%.1f,"
              + "\"inMemoryAfterImagesPerSecond\":%.1f,\"allocatedBytesPerImage\":%.1f,"
              + "\"feedCpuMicrosPerImage\":%.3f,\"stepCpuMicrosPerImage\":%.3f}%n",
          memory.imagesPerSecond(),
          pipeline.imagesPerSecond(),
          ratio,
          memory.stepsPerSecond(),
          pipeline.stepsPerSecond(),
          pipeline.snapshotBytes(),
          pipeline.snapshotPublishMillis(),
          pipeline.rssAfterEpochBytes(),
          memory.rssAfterEpochBytes(),
          pipeline.startupSeconds(),
          warmUpEpochs,
          ForkedJvm.isChild(),
          Runtime.getRuntime().maxMemory(),
          seconds(memory.epochSeconds()),
          seconds(pipeline.epochSeconds()),
          before.imagesPerSecond(),
          after.imagesPerSecond(),
          bytesPerImage,
          feedMicros,
          stepMicros);
    }
  }

  private static String seconds(List<Double> values) {
    return values.stream().map(v -> String.format(Locale.ROOT, "%.2f", v)).toList().toString();
  }

  private static String mb(List<Long> bytes) {
    return bytes.stream().map(b -> String.valueOf(b / 1_000_000)).toList().toString();
  }
}
