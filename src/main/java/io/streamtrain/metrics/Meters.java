package io.streamtrain.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Plain meters registered with a name and a description, as the training and serving meters use.
 */
final class Meters {
  private Meters() {}

  static Counter counter(MeterRegistry registry, String name, String description) {
    return Counter.builder(name).description(description).register(registry);
  }

  static Timer timer(MeterRegistry registry, String name, String description) {
    return Timer.builder(name).description(description).register(registry);
  }

  static DistributionSummary summary(MeterRegistry registry, String name, String description) {
    return DistributionSummary.builder(name).description(description).register(registry);
  }
}
