package io.streamtrain.training;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreamThreadOutboxTest {

  @Test
  void shouldRunRightAwayWhenNotDeferred() {
    List<Integer> ran = new ArrayList<>();
    StreamThreadOutbox outbox = new StreamThreadOutbox(false);
    outbox.post(() -> ran.add(1));
    assertEquals(List.of(1), ran);
  }

  @Test
  void shouldRunDeferredActionsInOrderOnDrainOnly() {
    List<Integer> ran = new ArrayList<>();
    StreamThreadOutbox outbox = new StreamThreadOutbox(true);
    outbox.post(() -> ran.add(1));
    outbox.post(() -> ran.add(2));
    assertEquals(List.of(), ran);
    outbox.drain();
    assertEquals(List.of(1, 2), ran);
    outbox.post(() -> ran.add(3));
    outbox.clear();
    outbox.drain();
    assertEquals(List.of(1, 2), ran, "cleared actions never run");
  }
}
