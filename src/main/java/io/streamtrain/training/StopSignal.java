package io.streamtrain.training;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A clean stop of the trainer: once requested, the batcher stops handing out batches and the
 * trainer publishes a final snapshot of where it is, so a shutdown loses no training work.
 */
public final class StopSignal {
  private volatile boolean requested;
  private final CountDownLatch snapshotted = new CountDownLatch(1);

  public void request() {
    requested = true;
  }

  public boolean isRequested() {
    return requested;
  }

  void markSnapshotted() {
    snapshotted.countDown();
  }

  /** Waits for the final snapshot; false when it did not come within the timeout. */
  public boolean awaitFinalSnapshot(Duration timeout) throws InterruptedException {
    return snapshotted.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }
}
