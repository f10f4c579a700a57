package io.streamtrain.app;

import io.streamtrain.config.Settings;
import io.streamtrain.kafka.Brokers;
import io.streamtrain.kafka.Offsets;
import io.streamtrain.metrics.Monitoring;
import io.streamtrain.model.ModelSpec;
import io.streamtrain.model.SnapshotRejectedException;
import io.streamtrain.model.StateDicts;
import io.streamtrain.schema.ModelSnapshot;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The training application as {@code train} runs it: a {@link TrainingRun} on a broker that must be
 * reachable, until epoch N is trained or until stopped, with a final snapshot on SIGTERM/Ctrl-C and
 * optional Prometheus metrics.
 */
public final class TrainingService {
  private TrainingService() {}

  /**
   * @param epochs stop once this epoch of the feed is trained and evaluated; null to run until
   *     stopped, as {@code follow} does
   * @param metricsPort serve metrics on this port (0: any free port), null for none
   */
  public static void run(
      Settings settings,
      Pipeline.Resume resume,
      Integer epochs,
      boolean follow,
      Integer metricsPort)
      throws Exception {
    Brokers.awaitReachable(settings.adminProps(), Duration.ofSeconds(30));
    Pipeline pipeline = new Pipeline(settings);
    Optional<ModelSnapshot> start = pipeline.startSnapshot(resume);
    if (start.isPresent()) {
      check(start.get(), settings);
      if (epochs != null
          && resume.kind() == Pipeline.Resume.Kind.LATEST
          && trained(start.get(), epochs)) {
        System.err.printf(
            "Model %s is trained through epoch %d already (snapshot version %d): nothing to do%n",
            settings.modelName(), epochs, start.get().getVersion());
        return;
      }
    }
    QuickstartPrinter printer =
        new QuickstartPrinter(System.out, Offsets.total(settings, pipeline.names().imagesTrain()));
    Monitoring monitoring =
        metricsPort == null ? null : Monitoring.start(metricsPort, "trainer", settings.modelName());
    TrainingRun run =
        new TrainingRun(
            pipeline,
            resume,
            monitoring == null ? printer : monitoring.trainingListener(printer),
            follow);
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              System.err.println("Stopping: publishing a final snapshot");
              run.close();
              closeQuietly(monitoring);
              stopped.countDown();
            });
    run.start();
    if (monitoring != null) {
      monitoring.bindStreams(run.streams());
      monitoring.bindConsumerLag(settings.adminProps(), pipeline.trainerApplicationId());
      System.err.println("Metrics at " + monitoring.uri());
    }
    Runtime.getRuntime().addShutdownHook(hook);
    if (follow || epochs == null) {
      while (run.failure() == null && stopped.getCount() > 0) {
        stopped.await(1, TimeUnit.SECONDS);
      }
      run.throwIfFailed();
      return;
    }
    try {
      run.awaitEpoch(printer, epochs);
    } finally {
      Runtime.getRuntime().removeShutdownHook(hook);
      run.close();
      closeQuietly(monitoring);
    }
  }

  private static void closeQuietly(Monitoring monitoring) {
    if (monitoring != null) {
      monitoring.close();
    }
  }

  /**
   * Refuses, before anything starts, a snapshot whose checksum or architecture is wrong, with one
   * line saying how to go on; the trainer checks again (and fully) whenever its task starts.
   */
  private static void check(ModelSnapshot snapshot, Settings settings) {
    try {
      StateDicts.verify(snapshot);
      String expected = ModelSpec.parse(settings.training().architecture()).toString();
      if (!expected.equals(snapshot.getArchitecture())) {
        throw new SnapshotRejectedException(
            "snapshot of model "
                + snapshot.getModelName()
                + " version "
                + snapshot.getVersion()
                + " is a "
                + snapshot.getArchitecture()
                + " but --architecture is "
                + expected);
      }
    } catch (SnapshotRejectedException e) {
      throw new IllegalStateException(TrainingRun.refusal(e), e);
    }
  }

  /** Whether {@code snapshot} is at or past the end of epoch {@code epochs}. */
  private static boolean trained(ModelSnapshot snapshot, int epochs) {
    return snapshot.getEpoch() > epochs
        || (snapshot.getEpoch() == epochs && snapshot.getEpochComplete());
  }
}
