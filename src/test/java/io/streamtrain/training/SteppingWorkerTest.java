package io.streamtrain.training;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SteppingWorkerTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private static Batch batch(int index) {
    return new Batch(0, index, 10, 1, false, 1, new float[1], new int[1], "", -1, 0, null);
  }

  @Test
  void shouldStepThroughSubmittedBatchesInOrderAndRunTheLastActionOnARequestedStop() {
    SteppingWorker worker = new SteppingWorker("m", false);
    List<Integer> stepped = new CopyOnWriteArrayList<>();
    AtomicInteger lastActions = new AtomicInteger();
    worker.start(b -> stepped.add(b.batchIndex()), lastActions::incrementAndGet);
    try {
      for (int i = 0; i < 5; i++) {
        worker.submit(batch(i));
      }
      await().atMost(TIMEOUT).until(() -> stepped.size() == 5);
      assertEquals(List.of(0, 1, 2, 3, 4), stepped);
      worker.requestStop();
      await().atMost(TIMEOUT).until(() -> lastActions.get() == 1);
    } finally {
      assertTrue(worker.stop());
    }
    assertFalse(worker.stop(), "nothing runs any more");
  }

  @Test
  void shouldKeepAFailureForTheStreamThreadAndStopStepping() {
    SteppingWorker worker = new SteppingWorker("m", false);
    IllegalStateException boom = new IllegalStateException("boom");
    AtomicInteger lastActions = new AtomicInteger();
    worker.start(
        b -> {
          throw boom;
        },
        lastActions::incrementAndGet);
    try {
      worker.submit(batch(0));
      await().atMost(TIMEOUT).until(() -> worker.failure() != null);
      assertSame(boom, worker.failure());
      assertEquals(0, lastActions.get(), "a failed thread publishes no final snapshot");
    } finally {
      worker.stop();
    }
  }

  @Test
  void shouldStartAgainWithoutTheOldFailure() {
    SteppingWorker worker = new SteppingWorker("m", false);
    worker.start(
        b -> {
          throw new IllegalStateException("boom");
        },
        () -> {});
    worker.submit(batch(0));
    await().atMost(TIMEOUT).until(() -> worker.failure() != null);
    worker.stop();

    List<Integer> stepped = new CopyOnWriteArrayList<>();
    worker.start(b -> stepped.add(b.batchIndex()), () -> {});
    try {
      worker.submit(batch(7));
      await().atMost(TIMEOUT).until(() -> stepped.equals(List.of(7)));
      assertEquals(null, worker.failure());
    } finally {
      worker.stop();
    }
  }
}
