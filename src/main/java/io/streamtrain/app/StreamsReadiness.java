package io.streamtrain.app;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Readiness of a Streams application for {@code /ready}: false until its client first reached
 * RUNNING (its stream thread runs with its assignment, possibly none: a standby trainer) while
 * {@code also} held, then true for as long as it runs or rebalances and {@code also} holds. A
 * rebalance later (an instance joining) does not make it unready: requests wait in Kafka, not at
 * the instance.
 */
final class StreamsReadiness implements BooleanSupplier {
  private final Supplier<KafkaStreams.State> state;
  private final BooleanSupplier also;
  private volatile boolean ranOnce;

  StreamsReadiness(Supplier<KafkaStreams.State> state, BooleanSupplier also) {
    this.state = state;
    this.also = also;
  }

  /** {@code train}: ready once its stream thread runs, as the active trainer or a standby. */
  static StreamsReadiness of(TrainingRun run) {
    return new StreamsReadiness(run::state, () -> true);
  }

  /** {@code predict}: ready once it runs with a model loaded (and warmed), 503 before. */
  static StreamsReadiness of(PredictionRun run) {
    return new StreamsReadiness(run.streams()::state, () -> run.modelVersion() >= 0);
  }

  @Override
  public boolean getAsBoolean() {
    KafkaStreams.State now = state.get();
    if (!also.getAsBoolean()) {
      return false;
    }
    if (now == KafkaStreams.State.RUNNING) {
      ranOnce = true;
    }
    return ranOnce && now.isRunningOrRebalancing();
  }
}
