package io.streamtrain.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.streamtrain.snapshots.SnapshotMetrics.NewLiveEvents;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The predictor's meters: a latency histogram of its forward-pass batches, the predictions made,
 * the batch sizes, and the model version it serves.
 *
 * <p>As Prometheus shows them: {@code streamtrain_prediction_latency_seconds} (a histogram with
 * {@code _bucket} series, so {@code histogram_quantile} works across replicas), {@code
 * streamtrain_predictions_total}, {@code streamtrain_prediction_batch_size} and {@code
 * streamtrain_prediction_model_version}; for a model learning live, {@code
 * streamtrain_model_freshness_seconds} (per served version: from the production of the oldest
 * labeled event it learned first to the moment it started serving) and {@code
 * streamtrain_model_served_age_seconds} (now minus the production time of the newest event the
 * serving model learned).
 */
public final class PredictionMetrics {
  private final Timer latency;
  private final Counter predictions;
  private final DistributionSummary batchSizes;
  private final Timer freshness;
  private volatile long newestLiveEvent = -1;

  /**
   * @param servedModelVersion the version of the model answering now (e.g. PredictionRun's
   *     modelVersion()), read at each scrape
   */
  public PredictionMetrics(MeterRegistry registry, LongSupplier servedModelVersion) {
    latency =
        Timer.builder("streamtrain.prediction.latency")
            .description(
                "Latency of a prediction batch: its oldest request's wait plus the forward pass")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofNanos(50_000))
            .maximumExpectedValue(Duration.ofSeconds(10))
            .register(registry);
    predictions = Meters.counter(registry, "streamtrain.predictions", "Predictions emitted");
    batchSizes =
        Meters.summary(
            registry, "streamtrain.prediction.batch.size", "Requests answered by one forward pass");
    Gauge.builder(
            "streamtrain.prediction.model.version", servedModelVersion, v -> (double) v.getAsLong())
        .description("Version (optimizer step) of the model serving predictions")
        .strongReference(true)
        .register(registry);
    freshness =
        Timer.builder("streamtrain.model.freshness")
            .description(
                "Per served version: production of the oldest labeled event it learned first to"
                    + " the moment it started serving")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(10))
            .maximumExpectedValue(Duration.ofMinutes(10))
            .register(registry);
    io.micrometer.core.instrument.Clock clock = registry.config().clock();
    Gauge.builder(
            "streamtrain.model.served.age",
            this,
            m ->
                m.newestLiveEvent < 0
                    ? Double.NaN
                    : (clock.wallTime() - m.newestLiveEvent) / 1000.0)
        .description("Now minus the production time of the newest event the serving model learned")
        .baseUnit("seconds")
        .register(registry);
  }

  /** A model version started serving at {@code atMillis}, having learned {@code live} first. */
  public void swapped(long atMillis, NewLiveEvents live) {
    if (live == null) {
      return;
    }
    freshness.record(Math.max(0, atMillis - live.oldestEventTime()), TimeUnit.MILLISECONDS);
    newestLiveEvent = Math.max(newestLiveEvent, live.newestEventTime());
  }

  /** One forward-pass batch of {@code batchSize} predictions that took {@code latencyNanos}. */
  public void record(long latencyNanos, int batchSize) {
    if (latencyNanos < 0 || batchSize < 0) {
      throw new IllegalArgumentException(
          "latency and batch size must be >= 0 (got " + latencyNanos + " ns, " + batchSize + ")");
    }
    latency.record(latencyNanos, TimeUnit.NANOSECONDS);
    predictions.increment(batchSize);
    batchSizes.record(batchSize);
  }
}
