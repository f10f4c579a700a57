package io.streamtrain.metrics;

import io.streamtrain.model.Evaluation;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.TrainingMetric;

/** What a trainer reports to its own process (progress lines, the demo's wait for an epoch). */
public interface TrainingListener {

  /** Every 100 batches of an epoch, like the quickstart's {@code loss: ... [current/size]}. */
  default void onBatchProgress(int epoch, long examplesInEpoch, double loss) {}

  /** After a snapshot went to the sink. */
  default void onSnapshot(ModelSnapshot snapshot, long encodeNanos) {}

  /** At an epoch's end, with its test evaluation or null when there is no test set. */
  default void onEpochEnd(int epoch, Evaluation evaluation, ModelSnapshot snapshot) {}

  /** Every record the trainer publishes to training.metrics. */
  default void onMetric(TrainingMetric metric) {}

  /** After the trainer restored a snapshot (or started fresh when {@code snapshot} is null). */
  default void onStart(ModelSnapshot snapshot) {}

  TrainingListener NONE = new TrainingListener() {};
}
