package io.streamtrain.training;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Work the training thread hands back to the stream thread, in order: everything that touches Kafka
 * Streams (forwarding, committing) and every listener call. Without a training thread of its own
 * the trainer runs each action right away.
 */
final class StreamThreadOutbox {
  private final boolean deferred;
  private final Queue<Runnable> actions = new ConcurrentLinkedQueue<>();

  /** {@code deferred}: actions wait for {@link #drain} on the stream thread. */
  StreamThreadOutbox(boolean deferred) {
    this.deferred = deferred;
  }

  /** Whether actions wait for {@link #drain}: they are posted from another thread. */
  boolean deferred() {
    return deferred;
  }

  /** On the stream thread: later when deferred, right away otherwise. */
  void post(Runnable action) {
    if (deferred) {
      actions.add(action);
    } else {
      action.run();
    }
  }

  /** Runs on the stream thread: what was handed back so far, in order. */
  void drain() {
    Runnable action;
    while ((action = actions.poll()) != null) {
      action.run();
    }
  }

  /** Drops what was not run: the task it was for has ended. */
  void clear() {
    actions.clear();
  }
}
