package io.streamtrain.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.config.Training;
import io.streamtrain.snapshots.SnapshotChunks;
import org.junit.jupiter.api.Test;

class SnapshotSizeTest {
  private static final Training RESNET18_ADAM =
      Training.reference()
          .withModel("resnet18:3x32x32-10", "resize:32x32,rgb,normalize:0.2860:0.3530")
          .withOptimizer("adam", 1e-3, 0, 0, 1.0);

  @Test
  void shouldExpectTheParametersAndAdamsTwoMomentsInFloat32() {
    long bytes = SnapshotSize.expectedBytes(TrainingSetup.of(RESNET18_ADAM));
    // The failed record was 134,138,795 bytes; BatchNorm statistics are not counted here.
    assertTrue(bytes > 133_000_000L && bytes < 134_138_795L, "ResNet-18 with Adam: " + bytes);
    assertEquals(669_706L * 4, SnapshotSize.expectedBytes(TrainingSetup.of(Training.reference())));
  }

  @Test
  void shouldSayAtStartUpHowSnapshotsGoOutAndHowOften() {
    long resnet = SnapshotSize.expectedBytes(TrainingSetup.of(RESNET18_ADAM));
    String big = ModelStepper.announcement("r18", RESNET18_ADAM, resnet);
    assertTrue(big.contains("about 134.1 MB each (32 chunk records of up to 4 MiB"), big);
    assertTrue(big.contains("at least 3996 ms apart (the size at a budget of 32 MiB/s)"), big);
    Training mlp = Training.reference();
    String small =
        ModelStepper.announcement("m", mlp, SnapshotSize.expectedBytes(TrainingSetup.of(mlp)));
    assertTrue(small.contains("about 2.7 MB each (one record)"), small);
    assertTrue(small.contains("at least 250 ms apart (--live-snapshot-ms)"), small);
  }

  @Test
  void shouldLeaveStreamsTransactionTimeoutForOneRecordAndAddASecondPerChunk() {
    assertEquals(0, SnapshotSize.transactionTimeoutMs(669_706L * 4), "the quickstart MLP");
    long bytes = SnapshotSize.expectedBytes(TrainingSetup.of(RESNET18_ADAM));
    int chunks = SnapshotChunks.chunkCount(bytes, SnapshotChunks.DEFAULT_CHUNK_BYTES);
    assertEquals(32, chunks);
    assertEquals(10_000 + 32 * 1_000, SnapshotSize.transactionTimeoutMs(bytes));
  }
}
