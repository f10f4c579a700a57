package io.streamtrain.bench;

import io.streamtrain.app.DatasetPublisher;
import io.streamtrain.app.Errors;
import io.streamtrain.app.Pipeline;
import io.streamtrain.app.TrainingRun;
import io.streamtrain.config.Settings;
import io.streamtrain.data.DatasetLocator;
import io.streamtrain.data.FashionMnist;
import io.streamtrain.data.LabeledDataset;
import io.streamtrain.data.Split;
import io.streamtrain.kafka.Replayer;
import io.streamtrain.metrics.TrainingListener;
import io.streamtrain.schema.ModelSnapshot;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/** A real trainer in this process: TrainingRun on a replayed Fashion-MNIST training subset. */
final class BackgroundTrainer implements AutoCloseable {
  private final Replayer replayer;
  // The feed stays at most two epochs ahead of the trainer.
  private final Semaphore epochsAhead = new Semaphore(2);
  private final AtomicBoolean stop = new AtomicBoolean();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final TrainingRun run;
  private final Thread replay = new Thread(this::replayEpochs, "bench-replay");

  private BackgroundTrainer(Pipeline pipeline) {
    replayer = pipeline.replayer();
    TrainingListener listener =
        new TrainingListener() {
          @Override
          public void onEpochEnd(
              int epoch, io.streamtrain.model.Evaluation evaluation, ModelSnapshot snapshot) {
            epochsAhead.release();
          }
        };
    run = new TrainingRun(pipeline, false, listener);
  }

  static BackgroundTrainer start(
      Settings settings, Pipeline pipeline, PredictionOptions options, PrintStream err) {
    LabeledDataset train = trainingImages(options.dataDir());
    int count = Math.min(options.trainImages(), train.count());
    DatasetPublisher.publish(pipeline, pipeline.names().imagesTrain(), train, count, done -> {});
    BackgroundTrainer trainer = new BackgroundTrainer(pipeline);
    trainer.run.start();
    trainer.replay.setDaemon(true);
    trainer.replay.start();
    err.printf(
        "Trainer running on %,d Fashion-MNIST training images (replayed epoch after epoch,"
            + " a snapshot every %d steps)%n",
        count, settings.training().snapshotEverySteps());
    return trainer;
  }

  /** Fashion-MNIST's training split from {@code dataDir}, or the standard places when null. */
  static LabeledDataset trainingImages(Path dataDir) {
    Path dir = DatasetLocator.standard().locate(Optional.ofNullable(dataDir)).dir();
    return FashionMnist.load(dir, Split.TRAIN);
  }

  private void replayEpochs() {
    try {
      for (int epoch = 1; !stop.get(); epoch++) {
        while (!epochsAhead.tryAcquire(100, TimeUnit.MILLISECONDS)) {
          if (stop.get()) {
            return;
          }
        }
        replayer.replay(epoch, 1, Replayer.Progress.NONE);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      failure.set(e);
    }
  }

  void throwIfFailed() {
    run.throwIfFailed();
    if (failure.get() != null) {
      throw new IllegalStateException(
          "The benchmark's replay failed: " + Errors.oneLine(failure.get()), failure.get());
    }
  }

  @Override
  public void close() {
    stop.set(true);
    try {
      replay.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    run.close();
  }
}
