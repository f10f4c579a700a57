package io.streamtrain.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class TrainerQueueTest {

  @Test
  void shouldHandTheBufferOfASteppedBatchToTheNextOfTheSameSize() {
    TrainerQueue queue = new TrainerQueue(4);
    float[] pixels = queue.pixelBuffer(8);
    queue.added();
    queue.stepped(batch(pixels), 0);
    assertEquals(4, queue.room());
    assertSame(pixels, queue.pixelBuffer(8));
    assertNotSame(pixels, queue.pixelBuffer(8), "handed out once");
  }

  @Test
  void shouldAllocateWhenTheReturnedBufferHasAnotherSize() {
    TrainerQueue queue = new TrainerQueue(4);
    float[] partial = new float[3];
    queue.added();
    queue.stepped(batch(partial), 0);
    assertEquals(8, queue.pixelBuffer(8).length);
  }

  @Test
  void shouldNeverReuseABufferWithoutATrainerToReturnIt() {
    TrainerQueue queue = TrainerQueue.withoutFeedback();
    float[] pixels = queue.pixelBuffer(8);
    queue.stepped(batch(pixels), 0);
    assertNotSame(pixels, queue.pixelBuffer(8));
  }

  private static Batch batch(float[] pixels) {
    return new Batch(0, 0, 1, 1, false, 1, pixels, new int[1], "train.feed-0", 0, 1, null);
  }
}
