package io.streamtrain.training;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;

/**
 * The windows a batcher holds, in index order, and their numbering: the index of the next window in
 * the feed, and of the next epoch window in its epoch, continued from the last released window when
 * none is held (after a restart too).
 */
final class WindowSequence {
  final Deque<ShuffleWindow> windows = new ArrayDeque<>();
  private long lastWindowIndex = -1;
  private int lastWindowEpoch = -1;
  private int lastWindowInEpoch = -1;
  private boolean lastWindowEndedEpoch = true;

  /** Starts from the store alone; an unsealed live window found there waits afresh from now. */
  void restore(WindowStore store, long nowMs) {
    windows.clear();
    lastWindowIndex = -1;
    lastWindowEpoch = -1;
    lastWindowInEpoch = -1;
    lastWindowEndedEpoch = true;
    ShuffleWindow released = store.lastReleased();
    if (released != null) {
      lastWindowIndex = released.index;
    }
    ShuffleWindow last = store.lastReleasedEpochWindow();
    if (last != null) {
      noteEpochWindow(last);
    }
    for (ShuffleWindow window : store.windows()) {
      window.openedMs = nowMs;
      windows.addLast(window);
      lastWindowIndex = Math.max(lastWindowIndex, window.index);
    }
  }

  /** The next window's index. */
  long nextIndex() {
    return ++lastWindowIndex;
  }

  /** Notes that windows up to {@code index} are in use (-1: none new). */
  void noteIndex(long index) {
    lastWindowIndex = Math.max(lastWindowIndex, index);
  }

  /** The position in {@code epoch} of an epoch window opened now. */
  int nextWindowInEpoch(int epoch) {
    ShuffleWindow previous = lastEpochWindow();
    if (previous != null && previous.epoch == epoch && !previous.epochEnd) {
      return previous.windowInEpoch + 1;
    } else if (previous == null && lastWindowEpoch == epoch && !lastWindowEndedEpoch) {
      return lastWindowInEpoch + 1;
    }
    return 0;
  }

  /** Removes the first window, which is released. */
  void releaseFirst() {
    ShuffleWindow window = windows.pollFirst();
    if (!window.live) {
      noteEpochWindow(window);
    }
  }

  private void noteEpochWindow(ShuffleWindow window) {
    lastWindowEpoch = window.epoch;
    lastWindowInEpoch = window.windowInEpoch;
    lastWindowEndedEpoch = window.epochEnd;
  }

  int currentEpoch() {
    ShuffleWindow last = lastEpochWindow();
    return last != null ? last.epoch : Math.max(lastWindowEpoch, 0);
  }

  private ShuffleWindow lastEpochWindow() {
    Iterator<ShuffleWindow> it = windows.descendingIterator();
    while (it.hasNext()) {
      ShuffleWindow w = it.next();
      if (!w.live) {
        return w;
      }
    }
    return null;
  }

  /** The unsealed live or epoch window: at most one of each kind fills at a time. */
  ShuffleWindow filling(boolean live) {
    Iterator<ShuffleWindow> it = windows.descendingIterator();
    while (it.hasNext()) {
      ShuffleWindow w = it.next();
      if (w.live == live) {
        return w.sealed ? null : w;
      }
    }
    return null;
  }

  /** The first sealed window with batches not forwarded yet, or null. */
  ShuffleWindow nextToForward(int batchSize) {
    for (ShuffleWindow window : windows) {
      if (!window.sealed) {
        return null;
      }
      if (!window.forwarded(batchSize)) {
        return window;
      }
    }
    return null;
  }
}
