package io.streamtrain.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.schema.ModelSnapshot;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResumePositionTest {

  private static Batch batch(long window, int index, int epoch) {
    return new Batch(window, index, 4, epoch, false, 2, new float[2], new int[2], "", -1, 0, null);
  }

  private static ModelSnapshot snapshot(boolean epochComplete) {
    return ModelSnapshot.newBuilder()
        .setModelName("m")
        .setVersion(9)
        .setEpoch(2)
        .setCreatedAt(Instant.EPOCH)
        .setArchitecture("mlp:2-2")
        .setSha256("")
        .setTensors(List.of())
        .setOptimizerState(List.of())
        .setInputOffsets(Map.of())
        .setMetrics(
            Map.of(
                ResumePosition.EXAMPLES_IN_EPOCH, 6.0,
                ResumePosition.BATCHES_IN_EPOCH, 3.0,
                ResumePosition.EXAMPLES_TRAINED, 40.0))
        .setWindowIndex(5)
        .setBatchesApplied(3)
        .setEpochComplete(epochComplete)
        .build();
  }

  @Test
  void shouldApplyEveryBatchFromTheStart() {
    ResumePosition position = ResumePosition.start();
    assertTrue(position.applies(batch(0, 0, 1)));
    position.advancePast(batch(0, 0, 1));
    assertFalse(position.applies(batch(0, 0, 1)), "applied already");
    assertTrue(position.applies(batch(0, 1, 1)));
    assertTrue(position.applies(batch(1, 0, 1)));
  }

  @Test
  void shouldSkipWhatTheSnapshotReflectsAndCarryOnItsCounts() {
    ResumePosition position = ResumePosition.of(snapshot(false));
    assertFalse(position.applies(batch(4, 3, 2)));
    assertFalse(position.applies(batch(5, 2, 2)));
    assertTrue(position.applies(batch(5, 3, 2)));
    assertEquals(2, position.epoch());
    assertInEpoch(position, 6, 3);
    position.stepApplied(2);
    assertInEpoch(position, 8, 4);
    assertEquals(42, position.examplesTrained());
  }

  @Test
  void shouldStartTheEpochCountsOverAfterACompleteEpochOrANewOne() {
    ResumePosition position = ResumePosition.of(snapshot(true));
    assertEquals(0, position.examplesInEpoch());
    assertEquals(40, position.examplesTrained(), "the lifetime count stays");
    position.stepApplied(2);
    assertFalse(position.enterEpoch(2));
    assertEquals(2, position.examplesInEpoch());
    assertTrue(position.enterEpoch(3));
    assertEquals(3, position.epoch());
    assertInEpoch(position, 0, 0);
  }

  @Test
  void shouldKnowWhetherASnapshotWasTakenHere() {
    ResumePosition position = ResumePosition.of(snapshot(false));
    assertTrue(position.isAt(snapshot(false)));
    position.advancePast(batch(5, 3, 2));
    assertFalse(position.isAt(snapshot(false)));
  }

  /** The examples and batches {@code position} counts in its current epoch. */
  private static void assertInEpoch(ResumePosition position, long examples, int batches) {
    assertEquals(examples, position.examplesInEpoch());
    assertEquals(batches, position.batchesInEpoch());
  }
}
