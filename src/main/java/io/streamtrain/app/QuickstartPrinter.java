package io.streamtrain.app;

import io.streamtrain.metrics.TrainingListener;
import io.streamtrain.model.Evaluation;
import io.streamtrain.schema.ModelSnapshot;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Prints training progress in the PyTorch quickstart's format (Epoch k, loss lines every 100
 * batches, "Test Error:" with accuracy and average loss) and lets a command wait for an epoch.
 */
public final class QuickstartPrinter implements TrainingListener {
  private final PrintStream out;
  private final long epochSize;
  private final Map<Integer, CompletableFuture<Evaluation>> epochs = new ConcurrentHashMap<>();
  private final List<double[]> results = new ArrayList<>();
  private volatile ModelSnapshot latest;
  private volatile int printedEpoch;

  public QuickstartPrinter(PrintStream out, long epochSize) {
    this.out = out;
    this.epochSize = epochSize;
  }

  @Override
  public void onStart(ModelSnapshot snapshot) {
    if (snapshot != null) {
      out.printf(
          Locale.ROOT,
          "Resumed model %s from snapshot version %d (epoch %d)%n",
          snapshot.getModelName(),
          snapshot.getVersion(),
          snapshot.getEpoch());
    }
  }

  @Override
  public void onBatchProgress(int epoch, long examplesInEpoch, double loss) {
    if (epoch != printedEpoch) {
      printedEpoch = epoch;
      out.printf("Epoch %d%n-------------------------------%n", epoch);
    }
    out.printf(Locale.ROOT, "loss: %f  [%5d/%5d]%n", loss, examplesInEpoch, epochSize);
  }

  @Override
  public void onSnapshot(ModelSnapshot snapshot, long encodeNanos) {
    latest = snapshot;
  }

  @Override
  public void onEpochEnd(int epoch, Evaluation evaluation, ModelSnapshot snapshot) {
    if (evaluation != null) {
      out.printf(
          Locale.ROOT,
          "Test Error: %n Accuracy: %.1f%%, Avg loss: %f %n%n",
          100 * evaluation.accuracy(),
          evaluation.averageLoss());
      synchronized (results) {
        results.add(new double[] {epoch, evaluation.accuracy(), evaluation.averageLoss()});
      }
    }
    epochs.computeIfAbsent(epoch, e -> new CompletableFuture<>()).complete(evaluation);
  }

  /** Completes with the epoch's evaluation (null without a test set) when the epoch has ended. */
  public CompletableFuture<Evaluation> epoch(int epoch) {
    return epochs.computeIfAbsent(epoch, e -> new CompletableFuture<>());
  }

  /** (epoch, accuracy, avg loss) of every evaluated epoch so far. */
  public List<double[]> results() {
    synchronized (results) {
      return List.copyOf(results);
    }
  }

  public ModelSnapshot latestSnapshot() {
    return latest;
  }
}
