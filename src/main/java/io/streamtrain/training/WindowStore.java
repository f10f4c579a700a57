package io.streamtrain.training;

import io.streamtrain.records.DeadLetters;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The layout of {@link MiniBatcher}'s store: one description per window held, keyed so that they
 * sort by window index, and, under negative keys, the last released window (so that numbering
 * continues after a restart that finds no window), the last released epoch window (from which epoch
 * windows continue their numbering in the epoch) and the dead-letter counts per kind.
 */
final class WindowStore {
  private static final long META = 0xFFFFFFL;

  /** The highest window size a description's key leaves room for. */
  static final long MAX_WINDOW = META - 1;

  private static final long LAST_RELEASED = -1L;
  private static final long DEAD_LETTER_COUNTS = -2L;
  private static final long LAST_EPOCH_WINDOW = -3L;

  private final KeyValueStore<Long, byte[]> store;

  WindowStore(KeyValueStore<Long, byte[]> store) {
    this.store = store;
  }

  void write(ShuffleWindow window) {
    store.put(metaKey(window.index), ShuffleWindow.encodeMeta(window));
  }

  void delete(ShuffleWindow window) {
    store.delete(metaKey(window.index));
  }

  /** Deletes a released window's description and records it as the last released. */
  void released(ShuffleWindow window) {
    delete(window);
    if (!window.live) {
      store.put(LAST_EPOCH_WINDOW, ShuffleWindow.encodeMeta(window));
    }
    store.put(LAST_RELEASED, ShuffleWindow.encodeMeta(window));
  }

  /** The last released window, or null. */
  ShuffleWindow lastReleased() {
    byte[] released = store.get(LAST_RELEASED);
    return released == null ? null : ShuffleWindow.decodeMeta(released);
  }

  /** The last released epoch window, or null. */
  ShuffleWindow lastReleasedEpochWindow() {
    byte[] epochWindow = store.get(LAST_EPOCH_WINDOW);
    if (epochWindow != null) {
      return ShuffleWindow.decodeMeta(epochWindow);
    }
    ShuffleWindow released = lastReleased();
    return released != null && !released.live ? released : null; // from before live windows
  }

  /** The descriptions of the windows held, in index order. */
  List<ShuffleWindow> windows() {
    List<ShuffleWindow> windows = new ArrayList<>();
    try (KeyValueIterator<Long, byte[]> it = store.range(0L, Long.MAX_VALUE)) {
      while (it.hasNext()) {
        windows.add(ShuffleWindow.decodeMeta(it.next().value));
      }
    }
    return windows;
  }

  void restoreDeadLetterCounts(DeadLetters deadLetters) {
    byte[] counts = store.get(DEAD_LETTER_COUNTS);
    deadLetters.restore(counts == null ? Map.of() : DeadLetters.decode(counts));
  }

  void writeDeadLetterCounts(DeadLetters deadLetters) {
    store.put(DEAD_LETTER_COUNTS, DeadLetters.encode(deadLetters.counts()));
  }

  /** Descriptions sort by window index, after the negative keys of the batcher's own state. */
  private static long metaKey(long window) {
    return (window << 24) | META;
  }
}
