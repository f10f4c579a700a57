package io.streamtrain.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * One side's figures in the training benchmark.
 *
 * @param rssAfterEpochBytes the process's resident memory after each measured epoch
 * @param snapshotBytes the last snapshot's size (pipeline only; 0 for the in-memory loop)
 * @param snapshotPublishMillis median acknowledged send of a snapshot-sized record (pipeline only)
 * @param startupSeconds the trainer's start-up, not counted in {@code seconds} (pipeline only)
 * @param costs what the trainer's threads (stream threads and their clients; the training thread
 *     apart) allocated and used of the CPU while {@code seconds} ran (pipeline only)
 */
public record TrainingSide(
    String name,
    long images,
    long steps,
    double seconds,
    List<Long> rssAfterEpochBytes,
    List<Double> epochSeconds,
    long snapshotBytes,
    double snapshotPublishMillis,
    double startupSeconds,
    ThreadCosts costs) {
  public double imagesPerSecond() {
    return images / seconds;
  }

  /** Allocated bytes per image, or -1 where not measured. */
  public double allocatedBytesPerImage() {
    return perImage(costs.allocatedBytes(), 1);
  }

  /** CPU microseconds per image of the trainer's threads but the training thread, or -1. */
  public double feedCpuMicrosPerImage() {
    return perImage(costs.cpuNanos(), 1e3);
  }

  /** CPU microseconds per image of the training thread, or -1. */
  public double stepCpuMicrosPerImage() {
    return perImage(costs.apartCpuNanos(), 1e3);
  }

  private double perImage(long total, double unit) {
    return total < 0 ? -1 : total / unit / images;
  }

  public double stepsPerSecond() {
    return steps / seconds;
  }

  /** Two runs of one side as one: their images over their seconds, epoch times averaged. */
  static TrainingSide together(String name, TrainingSide a, TrainingSide b) {
    List<Double> epochSeconds = new ArrayList<>();
    for (int i = 0; i < a.epochSeconds().size(); i++) {
      epochSeconds.add((a.epochSeconds().get(i) + b.epochSeconds().get(i)) / 2);
    }
    return new TrainingSide(
        name,
        a.images() + b.images(),
        a.steps() + b.steps(),
        a.seconds() + b.seconds(),
        a.rssAfterEpochBytes(),
        epochSeconds,
        0,
        0,
        0,
        ThreadCosts.NOT_MEASURED);
  }

  /** Seconds for epochs 2..N: the steady state, after the first epoch's fill and replay burst. */
  double secondsAfterFirstEpoch() {
    return epochSeconds.stream().skip(1).mapToDouble(Double::doubleValue).sum();
  }
}
