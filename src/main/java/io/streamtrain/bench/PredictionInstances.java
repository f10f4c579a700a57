package io.streamtrain.bench;

import io.streamtrain.app.Pipeline;
import io.streamtrain.app.PredictionRun;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The prediction instances under test, sharing one application id (each its own Streams app,
 * snapshot follower and model, as separate processes would be), and their counters summed.
 */
final class PredictionInstances implements ServingSide, AutoCloseable {
  private final List<PredictionRun> runs = new ArrayList<>();

  /** Starts {@code options.instances()} instances; closing the result stops those started. */
  static PredictionInstances start(Pipeline pipeline, PredictionOptions options)
      throws InterruptedException {
    PredictionInstances instances = new PredictionInstances();
    try {
      for (int i = 0; i < options.instances(); i++) {
        PredictionRun.Options runOptions =
            new PredictionRun.Options(
                options.maxBatch(),
                options.maxWait(),
                options.exactlyOnce(),
                "bench-" + i,
                options.predictorConfig());
        instances.runs.add(new PredictionRun(pipeline, runOptions).start(Duration.ofSeconds(60)));
      }
    } catch (RuntimeException | InterruptedException e) {
      instances.close();
      throw e;
    }
    return instances;
  }

  /**
   * Waits until the instances serve all {@code partitions} request partitions between them, each
   * with a model loaded: what {@code /ready} answers 200 for, so a burst measured right after this
   * is the first burst a ready predictor meets.
   */
  void awaitAssigned(int partitions, Duration timeout, PrintStream err)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      int assigned = 0;
      boolean allServing = true;
      for (PredictionRun run : runs) {
        run.throwIfFailed();
        int n = run.assignedPartitions();
        assigned += n;
        allServing &=
            n > 0 && run.streams().state() == KafkaStreams.State.RUNNING && run.modelVersion() >= 0;
      }
      if (assigned == partitions && allServing) {
        err.printf(
            "%d prediction instance(s) running, %d partitions assigned%n", runs.size(), assigned);
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "The prediction instances did not get all "
                + partitions
                + " request partitions within "
                + timeout.toSeconds()
                + " s (assigned: "
                + assigned
                + "); with more instances than partitions some stay idle: lower --instances");
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
  }

  /** The first instance: the one a live trainer's freshness is measured on. */
  PredictionRun first() {
    return runs.get(0);
  }

  @Override
  public void throwIfFailed() {
    for (PredictionRun run : runs) {
      run.throwIfFailed();
    }
  }

  @Override
  public long batches() {
    return runs.stream().mapToLong(r -> r.stats().batches()).sum();
  }

  @Override
  public long answered() {
    return runs.stream().mapToLong(r -> r.stats().requests()).sum();
  }

  @Override
  public long largestBatch() {
    return runs.stream().mapToLong(r -> r.stats().largestBatch()).max().orElse(0);
  }

  @Override
  public long minServedVersion() {
    return runs.stream().mapToLong(r -> r.stats().servedVersion()).min().orElse(-1);
  }

  @Override
  public long maxServedVersion() {
    return runs.stream().mapToLong(r -> r.stats().servedVersion()).max().orElse(-1);
  }

  @Override
  public long modelSwaps() {
    return runs.stream().mapToLong(PredictionRun::modelSwaps).sum();
  }

  @Override
  public void close() {
    RuntimeException first = null;
    for (PredictionRun run : runs) {
      try {
        run.close();
      } catch (RuntimeException e) {
        first = first == null ? e : first;
      }
    }
    runs.clear(); // closing twice closes nothing twice
    if (first != null) {
      throw first;
    }
  }
}
