package io.streamtrain.bench;

import org.HdrHistogram.Histogram;

/** Latency percentiles in milliseconds. */
public record Latency(
    double p50, double p90, double p99, double p999, double max, double mean, long count) {
  static Latency of(Histogram h) {
    return new Latency(
        ms(h.getValueAtPercentile(50)),
        ms(h.getValueAtPercentile(90)),
        ms(h.getValueAtPercentile(99)),
        ms(h.getValueAtPercentile(99.9)),
        ms(h.getMaxValue()),
        h.getTotalCount() == 0 ? 0 : h.getMean() / 1000.0,
        h.getTotalCount());
  }

  private static double ms(long micros) {
    return micros / 1000.0;
  }
}
