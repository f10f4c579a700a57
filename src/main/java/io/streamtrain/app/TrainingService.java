package io.streamtrain.app;

import io.streamtrain.config.Settings;
import io.streamtrain.kafka.Brokers;
import io.streamtrain.kafka.Offsets;
import io.streamtrain.metrics.Monitoring;
import io.streamtrain.model.SnapshotRejectedException;
import io.streamtrain.model.StateDicts;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.snapshots.EpochWatch;
import io.streamtrain.snapshots.Resume;
import io.streamtrain.training.TrainingSetup;
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
      Settings settings, Resume resume, Integer epochs, boolean follow, Integer metricsPort)
      throws Exception {
    Brokers.awaitReachable(settings.adminProps(), Duration.ofSeconds(30));
    Pipeline pipeline = new Pipeline(settings);
    // Snapshots published from now on, by this trainer or another one of the model.
    EpochWatch watch = new EpochWatch(pipeline.snapshotTopic());
    try {
      run(settings, pipeline, resume, epochs, follow, metricsPort, watch);
    } finally {
      watch.close();
    }
  }

  private static void run(
      Settings settings,
      Pipeline pipeline,
      Resume resume,
      Integer epochs,
      boolean follow,
      Integer metricsPort,
      EpochWatch watch)
      throws Exception {
    Optional<ModelSnapshot> start = pipeline.startSnapshot(resume);
    if (start.isPresent()) {
      check(start.get(), pipeline.trainingSetup());
      if (epochs != null && resume.kind() == Resume.Kind.LATEST && trained(start.get(), epochs)) {
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
    if (monitoring != null) {
      monitoring.readiness(StreamsReadiness.of(run));
    }
    run.start();
    if (monitoring != null) {
      monitoring.bindStreams(run.streams());
      monitoring.bindConsumerLag(settings.adminProps(), pipeline.trainerApplicationId());
      System.err.println("Metrics at " + monitoring.uri());
    }
    Runtime.getRuntime().addShutdownHook(hook);
    Standby standby = new Standby(run, settings.modelName());
    if (follow || epochs == null) {
      while (run.failure() == null && stopped.getCount() > 0) {
        standby.check();
        stopped.await(1, TimeUnit.SECONDS);
      }
      if (run.failure() != null && stopped.getCount() > 0) {
        // Failed, not stopped: close here, without the hook's "final snapshot" line.
        Runtime.getRuntime().removeShutdownHook(hook);
        run.close();
        closeQuietly(monitoring);
      }
      run.throwIfFailed();
      return;
    }
    try {
      run.awaitEpoch(
          printer,
          epochs,
          standby::check,
          () -> {
            Optional<ModelSnapshot> done = watch.firstTrainedThrough(epochs);
            done.ifPresent(
                v ->
                    System.err.printf(
                        "Model %s is trained through epoch %d (snapshot version %d)%n",
                        settings.modelName(), epochs, v.getVersion()));
            return done.isPresent();
          });
    } finally {
      Runtime.getRuntime().removeShutdownHook(hook);
      run.close();
      closeQuietly(monitoring);
    }
  }

  /**
   * Says once, in one line, that another instance runs the model's trainer and this one stands by,
   * and once again when this one takes over. Streams' consumer group makes one member the trainer
   * of the single-partition feed; the others get no task until it leaves or its session expires.
   */
  private static final class Standby {
    private static final long CHECK_EVERY_NANOS = TimeUnit.SECONDS.toNanos(3);
    private final TrainingRun run;
    private final String model;
    private boolean standingBy;
    private long lastCheck;

    Standby(TrainingRun run, String model) {
      this.run = run;
      this.model = model;
    }

    void check() {
      if (run.isActive()) {
        if (standingBy) {
          System.err.printf("Taking over as the active trainer of model %s%n", model);
          standingBy = false;
        }
        return;
      }
      long now = System.nanoTime();
      if (standingBy || now - lastCheck < CHECK_EVERY_NANOS) {
        return;
      }
      lastCheck = now;
      run.activeElsewhere()
          .ifPresent(
              member -> {
                System.err.printf(
                    "Model %s already has an active trainer (member %s); standing by%n",
                    model, member);
                standingBy = true;
              });
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
  private static void check(ModelSnapshot snapshot, TrainingSetup setup) {
    try {
      StateDicts.verify(snapshot);
      String expected = setup.spec().toString();
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
      String transforms = setup.transforms().spec();
      if (!transforms.equals(snapshot.getTransforms())) {
        throw new SnapshotRejectedException(
            "snapshot of model "
                + snapshot.getModelName()
                + " version "
                + snapshot.getVersion()
                + " was trained with --transforms '"
                + snapshot.getTransforms()
                + "' but --transforms is '"
                + transforms
                + "'");
      }
    } catch (SnapshotRejectedException e) {
      throw new IllegalStateException(StopReasons.refusal(e), e);
    }
  }

  /** Whether {@code snapshot} is at or past the end of epoch {@code epochs}. */
  private static boolean trained(ModelSnapshot snapshot, int epochs) {
    return EpochWatch.trainedThrough(snapshot, epochs);
  }
}
