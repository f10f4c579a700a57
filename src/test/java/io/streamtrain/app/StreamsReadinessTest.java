package io.streamtrain.app;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.KafkaStreams.State;
import org.junit.jupiter.api.Test;

class StreamsReadinessTest {
  private final AtomicReference<State> state = new AtomicReference<>(State.CREATED);
  private final AtomicBoolean model = new AtomicBoolean();
  private final StreamsReadiness ready = new StreamsReadiness(state::get, model::get);

  @Test
  void shouldBeReadyOnlyOnceRunningWithItsConditionAndStayReadyThroughARebalance() {
    model.set(true);
    state.set(State.REBALANCING);
    assertFalse(ready.getAsBoolean(), "the first assignment is not there yet");
    state.set(State.RUNNING);
    model.set(false);
    assertFalse(ready.getAsBoolean(), "running without a model");
    model.set(true);
    assertTrue(ready.getAsBoolean());
    state.set(State.REBALANCING);
    assertTrue(ready.getAsBoolean(), "an instance joining does not make this one unready");
    state.set(State.PENDING_SHUTDOWN);
    assertFalse(ready.getAsBoolean());
    state.set(State.ERROR);
    assertFalse(ready.getAsBoolean());
  }
}
