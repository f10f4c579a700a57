package io.streamtrain.kafka;

import java.time.Duration;

/** Stopping a thread that polls a Kafka consumer until {@code wakeup()} ends its poll. */
public final class PollingThreads {
  private PollingThreads() {}

  /**
   * Wakes the consumer's poll up (the thread then leaves its loop on the {@code WakeupException})
   * and waits up to {@code timeout} for the thread to end.
   *
   * @param wakeup the consumer's {@code wakeup()}
   * @return whether the thread has ended
   */
  public static boolean stop(Runnable wakeup, Thread thread, Duration timeout) {
    wakeup.run();
    try {
      thread.join(timeout.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return !thread.isAlive();
  }
}
