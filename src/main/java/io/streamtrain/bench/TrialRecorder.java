package io.streamtrain.bench;

import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The schedule, answer counts and latencies of one trial; the consumer thread records answers.
 * Request i is due at {@code startNanos + i * intervalNanos}, sent or not.
 */
final class TrialRecorder {
  final long startNanos;
  final double intervalNanos;
  final byte[] answers;
  final Histogram histogram = new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
  private long distinct;
  long duplicates;
  long lastArrival;

  TrialRecorder(int count, long startNanos, double intervalNanos) {
    this.startNanos = startNanos;
    this.intervalNanos = intervalNanos;
    this.answers = new byte[count];
  }

  long due(long seq) {
    return startNanos + (long) (seq * intervalNanos);
  }

  /** Records one answer; false if the id is not one of this trial's requests. */
  synchronized boolean arrived(long seq, long nowNanos) {
    if (seq >= answers.length) {
      return false;
    }
    int i = (int) seq;
    if (answers[i] != 0) {
      duplicates++;
      return true;
    }
    answers[i] = 1;
    distinct++;
    lastArrival = Math.max(lastArrival, nowNanos);
    long micros = (nowNanos - due(seq)) / 1000;
    histogram.recordValue(Math.max(0, Math.min(micros, histogram.getHighestTrackableValue())));
    return true;
  }

  synchronized long distinct() {
    return distinct;
  }
}
