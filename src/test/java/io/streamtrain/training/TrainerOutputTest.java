package io.streamtrain.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.metrics.TrainingListener;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.serving.VersionedModels;
import java.time.Duration;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class TrainerOutputTest {
  private final MockProcessorContext<Object, Object> context = new MockProcessorContext<>();

  @Test
  void shouldHoldTheTrainingThreadWhileTwoSnapshotsWaitForTheStreamThread() throws Exception {
    StreamThreadOutbox outbox = new StreamThreadOutbox(true);
    TrainerOutput output = new TrainerOutput("m", context, outbox, TrainingListener.NONE, true);
    int snapshots = TrainerOutput.MAX_WAITING_SNAPSHOTS + 1;

    Thread trainer =
        new Thread(
            () -> {
              for (long version = 1; version <= snapshots; version++) {
                output.snapshot(VersionedModels.snapshot("m", version), 0);
              }
            });
    trainer.start();
    // The third waits: two copies of the model are queued and the stream thread has not drained.
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> trainer.getState() == Thread.State.WAITING);
    assertEquals(0, context.forwarded().size(), "nothing sent before the stream thread drains");

    outbox.drain(); // the stream thread sends the two, which makes room for the third
    trainer.join(5_000);
    assertTrue(!trainer.isAlive(), "the third snapshot went into the room the drain made");
    outbox.drain();
    assertEquals(snapshots, context.forwarded().size(), "every snapshot sent, in order");
    assertEquals(3L, ((ModelSnapshot) context.forwarded().get(2).record().value()).getVersion());
  }

  @Test
  void shouldNotWaitOnTheStreamThreadItself() {
    StreamThreadOutbox outbox = new StreamThreadOutbox(false);
    TrainerOutput output = new TrainerOutput("m", context, outbox, TrainingListener.NONE, true);
    for (long version = 1; version <= 5; version++) {
      output.snapshot(VersionedModels.snapshot("m", version), 0);
    }
    assertEquals(5, context.forwarded().size());
  }

  @Test
  void shouldStopWaitingWhenTheTrainingThreadIsInterrupted() throws Exception {
    StreamThreadOutbox outbox = new StreamThreadOutbox(true);
    TrainerOutput output = new TrainerOutput("m", context, outbox, TrainingListener.NONE, true);
    Thread trainer =
        new Thread(
            () -> {
              for (long version = 1; version <= 3; version++) {
                output.snapshot(VersionedModels.snapshot("m", version), 0);
              }
            });
    trainer.start();
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> trainer.getState() == Thread.State.WAITING);
    trainer.interrupt(); // what SteppingWorker.stop does
    trainer.join(5_000);
    assertTrue(!trainer.isAlive(), "a stopping worker is never held by a full outbox");
  }
}
