package io.streamtrain.snapshots;

import io.streamtrain.model.InferenceModel;
import io.streamtrain.snapshots.SnapshotMetrics.NewLiveEvents;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Hands newer models from a loading thread to the prediction thread. The loader prepares a model
 * completely off the prediction path and offers it; the prediction thread swaps it in between
 * batches and closes the old one itself, so no prediction waits for a load and no batch mixes two
 * versions. One prediction thread per holder: {@link #acquire()} closes the model it replaces,
 * which another thread could still be using (the prediction app runs one stream thread per instance
 * and scales by instances, each with its own holder).
 */
public final class ModelHolder implements AutoCloseable {
  private final AtomicReference<InferenceModel> pending = new AtomicReference<>();
  // Live events the pending model learned first (merged over offers it replaced); see observeSwaps.
  private final AtomicReference<NewLiveEvents> pendingLive = new AtomicReference<>();
  private volatile SwapObserver observer = (version, atMillis, live) -> {};
  private volatile Consumer<InferenceModel> warmer = model -> {};

  /** Told on the prediction thread whenever a model starts serving. */
  public interface SwapObserver {
    /**
     * @param live the live events this version serves for the first time, or null for none
     */
    void swapped(long version, long atMillis, NewLiveEvents live);
  }

  public void observeSwaps(SwapObserver observer) {
    this.observer = observer;
  }

  /**
   * Runs {@code warmer} on every offered model on the offering (loading) thread before the
   * prediction thread can take it, so that no request pays for a cold model.
   */
  public void warmWith(Consumer<InferenceModel> warmer) {
    this.warmer = warmer;
  }

  /** Offers a newer model that learned {@code live} first (null: no new live events). */
  public void offer(InferenceModel model, NewLiveEvents live) {
    if (live != null) {
      pendingLive.accumulateAndGet(live, (a, b) -> a == null ? b : a.merge(b));
    }
    offer(model);
  }

  private volatile InferenceModel current;
  private final CountDownLatch first = new CountDownLatch(1);
  private volatile long swaps;

  /** Offers a newer model; a model offered earlier and not yet taken is closed. */
  public void offer(InferenceModel model) {
    warmer.accept(model);
    InferenceModel replaced = pending.getAndSet(model);
    if (replaced != null) {
      replaced.close();
    }
    first.countDown();
  }

  /** Waits until a first model was offered; false on timeout. */
  public boolean awaitModel(Duration timeout) throws InterruptedException {
    return first.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The model to use for the next batch: the newest offered one, swapped in now. */
  public InferenceModel acquire() {
    if (pending.get() == null) {
      return current; // the common case: a plain volatile read
    }
    InferenceModel next = pending.getAndSet(null);
    if (next != null) {
      InferenceModel old = current;
      current = next;
      swaps++;
      if (old != null) {
        old.close();
      }
      observer.swapped(next.version(), System.currentTimeMillis(), pendingLive.getAndSet(null));
    }
    return current;
  }

  /**
   * The model the next batch will most likely use (the pending one, else the current one), without
   * swapping: what a request is prepared for before its batch runs. Null before the first offer.
   */
  public InferenceModel peek() {
    InferenceModel p = pending.get();
    return p != null ? p : current;
  }

  /** Version of the model serving now, or of the pending one if none serves yet; -1 if none. */
  public long version() {
    InferenceModel c = current;
    if (c != null) {
      return c.version();
    }
    InferenceModel p = pending.get();
    return p == null ? -1 : p.version();
  }

  /** Models swapped in so far by the prediction thread (the first one counts). */
  public long swaps() {
    return swaps;
  }

  public boolean hasModel() {
    return current != null || pending.get() != null;
  }

  @Override
  public void close() {
    InferenceModel p = pending.getAndSet(null);
    if (p != null) {
      p.close();
    }
    if (current != null) {
      current.close();
      current = null;
    }
  }
}
