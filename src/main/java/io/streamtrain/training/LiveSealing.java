package io.streamtrain.training;

import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Seals a live window and moves it ahead of the epoch windows none of whose batches was forwarded
 * yet, and cuts the epoch window in progress at its next batch: its remaining batches (same
 * composition, same shuffle) go to a continuation window after the live one. So a live window waits
 * for at most the batches already forwarded, never for the rest of a 60,000-example window. The
 * windows from the moved ones on are renumbered in order, in the store, in the same commit, so that
 * the deque stays in index order (the trainer's position and the release of windows rely on it) and
 * a restart rebuilds the same sequence. Live windows keep their order among themselves; nothing the
 * trainer reflected already (its resume position) moves.
 */
final class LiveSealing {
  private final TrainerQueue trainer;
  private final int batchSize;

  LiveSealing(TrainerQueue trainer, int batchSize) {
    this.trainer = trainer;
    this.batchSize = batchSize;
  }

  /**
   * Seals {@code window}, one of {@code windows}, and reorders them as above.
   *
   * @return the highest window index now in use, or -1 when nothing moved
   */
  long seal(ShuffleWindow window, Deque<ShuffleWindow> windows, WindowStore store) {
    window.sealed = true;
    List<ShuffleWindow> list = new ArrayList<>(windows);
    int at = list.indexOf(window);
    int to = at;
    while (to > 0 && movable(list.get(to - 1))) {
      to--;
    }
    ShuffleWindow continuation = to > 0 ? cut(list.get(to - 1), store) : null;
    if (to == at && continuation == null) {
      store.write(window);
      return -1;
    }
    List<ShuffleWindow> renumbered = new ArrayList<>(list.subList(to, list.size()));
    renumbered.remove(window);
    renumbered.add(0, window);
    if (continuation != null) {
      renumbered.add(1, continuation);
    }
    for (ShuffleWindow w : list.subList(to, list.size())) {
      store.delete(w);
    }
    long next = continuation != null ? list.get(to - 1).index + 1 : list.get(to).index;
    for (ShuffleWindow w : renumbered) {
      w.index = next++;
      store.write(w);
    }
    List<ShuffleWindow> reordered = new ArrayList<>(list.subList(0, to));
    reordered.addAll(renumbered);
    windows.clear();
    windows.addAll(reordered);
    return next - 1;
  }

  /** An epoch window neither forwarded from nor reflected by the trainer's resume position. */
  private boolean movable(ShuffleWindow w) {
    return !w.live && w.unstarted() && w.index > trainer.resumedWindow();
  }

  /**
   * Cuts an epoch window in progress after the batches forwarded (or reflected by the trainer when
   * it resumed): it ends there, and the returned continuation, which takes over its examples,
   * forwards the rest. Null when there is nothing left to cut.
   */
  private ShuffleWindow cut(ShuffleWindow w, WindowStore store) {
    if (w.live || !w.sealed || w.count == 0) {
      return null;
    }
    int end = w.endBatch(batchSize);
    int at = Math.max(w.nextBatch, trainer.appliedOnResume(w.index, w.firstBatch, end));
    if (at <= w.firstBatch || at >= end) {
      return null;
    }
    ShuffleWindow rest = new ShuffleWindow(w.index, w.epoch, w.windowInEpoch);
    rest.count = w.count;
    rest.sealed = true;
    rest.epochEnd = w.epochEnd;
    rest.feedPartition = w.feedPartition;
    rest.firstOffset = w.firstOffset;
    rest.lastOffset = w.lastOffset;
    rest.firstBatch = at;
    rest.nextBatch = at;
    rest.endBatch = w.endBatch;
    w.endBatch = at;
    w.epochEnd = false; // the continuation ends the epoch
    store.write(w);
    if (w.nextBatch == at) { // else w still forwards batches up to the cut
      rest.examples = w.examples;
      rest.order = w.order;
      w.examples = null;
      w.order = null;
    }
    return rest;
  }
}
