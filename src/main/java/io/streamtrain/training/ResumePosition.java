package io.streamtrain.training;

import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.snapshots.SnapshotMetrics;
import java.util.Map;

/**
 * Where a model is in the feed, (window index, batches applied), with its epoch and the example
 * counts a restart carries on from. Batches at or before the position are reflected in the
 * parameters already, so a trainer resumed from a snapshot skips them and applies none twice.
 */
final class ResumePosition {
  // Names in ModelSnapshot.metrics; a resumed trainer restores its counts from them.
  static final String EXAMPLES_IN_EPOCH = "examplesInEpoch";
  static final String BATCHES_IN_EPOCH = "batchesInEpoch";
  static final String EXAMPLES_TRAINED = "examplesTrained";

  private long windowIndex = -1;
  private int batchesApplied;
  private int epoch;
  private long examplesInEpoch;
  private int batchesInEpoch;
  private long examplesTrained;
  private long stepsApplied;
  // Live windows: examples, the feed offset after the newest one, and the production times of
  // those not yet in a snapshot (live windows are applied in feed order, outside any epoch).
  private long liveExamplesTrained;
  private long liveFeedEnd = -1;
  private long liveOldestNew = Long.MAX_VALUE;
  private long liveNewestNew = Long.MIN_VALUE;
  // The parameters are an epoch's end plus live steps only: a live snapshot says so, as the
  // epoch's.
  private boolean epochComplete;

  /** Before the feed's first batch. */
  static ResumePosition start() {
    return new ResumePosition();
  }

  /** Right after the last batch {@code snapshot} reflects. */
  static ResumePosition of(ModelSnapshot snapshot) {
    ResumePosition position = new ResumePosition();
    position.windowIndex = snapshot.getWindowIndex();
    position.batchesApplied = snapshot.getBatchesApplied();
    position.epoch = snapshot.getEpoch();
    Map<String, Double> m = snapshot.getMetrics();
    position.examplesInEpoch = m.getOrDefault(EXAMPLES_IN_EPOCH, 0.0).longValue();
    position.batchesInEpoch = m.getOrDefault(BATCHES_IN_EPOCH, 0.0).intValue();
    position.examplesTrained = m.getOrDefault(EXAMPLES_TRAINED, 0.0).longValue();
    position.stepsApplied = SnapshotMetrics.stepsApplied(snapshot);
    position.liveExamplesTrained =
        m.getOrDefault(SnapshotMetrics.LIVE_EXAMPLES_TRAINED, 0.0).longValue();
    position.liveFeedEnd = m.getOrDefault(SnapshotMetrics.LIVE_FEED_END, -1.0).longValue();
    position.epochComplete = snapshot.getEpochComplete();
    if (snapshot.getEpochComplete()) {
      position.endEpoch();
    }
    return position;
  }

  /** Whether {@code batch} comes after the position, i.e. is not in the parameters yet. */
  boolean applies(Batch batch) {
    return batch.windowIndex() > windowIndex
        || (batch.windowIndex() == windowIndex && batch.batchIndex() >= batchesApplied);
  }

  /**
   * Moves into {@code batchEpoch}, counting its examples from zero.
   *
   * @return whether it is another epoch than the current one
   */
  boolean enterEpoch(int batchEpoch) {
    if (batchEpoch == epoch) {
      return false;
    }
    epoch = batchEpoch;
    endEpoch();
    return true;
  }

  /** Counts an applied step of {@code examples} examples. */
  void stepApplied(int examples) {
    stepsApplied++;
    examplesTrained += examples;
    examplesInEpoch += examples;
    batchesInEpoch++;
  }

  /** Right after {@code batch}. */
  void advancePast(Batch batch) {
    windowIndex = batch.windowIndex();
    batchesApplied = batch.batchIndex() + 1;
    if (batch.isLive()) {
      if (batch.lastOfWindow()) {
        liveFeedEnd = batch.windowEndOffset();
        liveOldestNew = Math.min(liveOldestNew, batch.live().oldestEventTime());
        liveNewestNew = Math.max(liveNewestNew, batch.live().newestEventTime());
      }
    } else {
      epochComplete = batch.epochEnd() && batch.lastOfWindow();
    }
  }

  /** A live step: counted in the model's examples, not in the epoch's. */
  void liveStepApplied(int examples) {
    stepsApplied++;
    examplesTrained += examples;
    liveExamplesTrained += examples;
  }

  /** Adds the live counts to a snapshot's metrics; the new events' span goes to this one only. */
  void addLiveTo(Map<String, Double> metrics) {
    if (liveExamplesTrained > 0) {
      metrics.put(SnapshotMetrics.LIVE_EXAMPLES_TRAINED, (double) liveExamplesTrained);
      metrics.put(SnapshotMetrics.LIVE_FEED_END, (double) liveFeedEnd);
    }
    if (liveOldestNew <= liveNewestNew) {
      metrics.put(SnapshotMetrics.LIVE_OLDEST_NEW_EVENT, (double) liveOldestNew);
      metrics.put(SnapshotMetrics.LIVE_NEWEST_NEW_EVENT, (double) liveNewestNew);
    }
    liveOldestNew = Long.MAX_VALUE;
    liveNewestNew = Long.MIN_VALUE;
  }

  boolean epochComplete() {
    return epochComplete;
  }

  /** The epoch's counts start over. */
  void endEpoch() {
    examplesInEpoch = 0;
    batchesInEpoch = 0;
  }

  /** Whether {@code snapshot} was taken at this position. */
  boolean isAt(ModelSnapshot snapshot) {
    return snapshot.getWindowIndex() == windowIndex
        && snapshot.getBatchesApplied() == batchesApplied;
  }

  long windowIndex() {
    return windowIndex;
  }

  int batchesApplied() {
    return batchesApplied;
  }

  int epoch() {
    return epoch;
  }

  long examplesInEpoch() {
    return examplesInEpoch;
  }

  int batchesInEpoch() {
    return batchesInEpoch;
  }

  long examplesTrained() {
    return examplesTrained;
  }

  long stepsApplied() {
    return stepsApplied;
  }
}
