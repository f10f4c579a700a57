package io.streamtrain.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.streamtrain.metrics.TrainingListener;
import io.streamtrain.model.Learner;
import io.streamtrain.model.ModelSpec;
import io.streamtrain.model.OptimizerConfig;
import io.streamtrain.model.StateDicts;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.serving.VersionedModels;
import io.streamtrain.snapshots.SnapshotChunks;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
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
  void shouldStreamABigSnapshotFromTheArraysAsTheWholeCopyWouldWhileTrainingWaits()
      throws Exception {
    // 1.2 M parameters with Adam: 14.7 MB, four chunks, tensors longer than a read slice.
    try (Learner learner =
        Learner.create(
            ModelSpec.parse("mlp:784-1536-10"), OptimizerConfig.adam(1e-3, 0), 3, Device.cpu())) {
      Random random = new Random(5);
      for (int step = 0; step < 2; step++) {
        float[] x = new float[8 * 784];
        int[] labels = new int[8];
        for (int i = 0; i < x.length; i++) {
          x[i] = random.nextFloat();
        }
        for (int i = 0; i < labels.length; i++) {
          labels[i] = random.nextInt(10);
        }
        learner.step(x, labels, 8);
      }
      Instant at = Instant.ofEpochMilli(1_700_000_000_000L);
      ModelSnapshot whole = StateDicts.snapshot(learner, "m").createdAt(at).build();
      assertTrue(SnapshotChunks.needsChunks(whole), "big enough to stream");
      List<ModelSnapshot> expected = new ArrayList<>();
      SnapshotChunks.write(whole, SnapshotChunks.DEFAULT_CHUNK_BYTES, (k, r) -> expected.add(r));

      StreamThreadOutbox outbox = new StreamThreadOutbox(true);
      TrainerOutput output = new TrainerOutput("m", context, outbox, TrainingListener.NONE, true);
      ModelSnapshot header = StateDicts.snapshot(learner, "m").createdAt(at).buildHeader();
      AtomicReference<ModelSnapshot> manifest = new AtomicReference<>();
      Thread trainer =
          new Thread(
              () ->
                  manifest.set(
                      output.snapshotStreamed(
                          header, learner.liveStateDict(), learner.liveOptimizerState(), 0)));
      trainer.start();
      // The training thread waits until the stream thread has written the snapshot.
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> trainer.getState() == Thread.State.WAITING);
      assertEquals(0, context.forwarded().size(), "nothing sent before the stream thread drains");
      outbox.drain();
      trainer.join(10_000);
      assertTrue(!trainer.isAlive(), "the training thread goes on once the snapshot is out");

      List<ModelSnapshot> sent =
          context.forwarded().stream().map(f -> (ModelSnapshot) f.record().value()).toList();
      assertEquals(expected.size(), sent.size(), "the same chunks and a manifest");
      for (int i = 0; i < sent.size() - 1; i++) {
        assertEquals(expected.get(i).getChunk(), sent.get(i).getChunk(), "chunk " + i);
        assertEquals(expected.get(i).getSha256(), sent.get(i).getSha256());
      }
      ModelSnapshot last = sent.get(sent.size() - 1);
      assertEquals(manifest.get(), last);
      assertEquals(expected.get(expected.size() - 1).getManifest(), last.getManifest());
      assertEquals(whole.getSha256(), last.getSha256(), "the snapshot's SHA-256, streamed");
      ModelSnapshot back = SnapshotChunks.read(last, sent.subList(0, sent.size() - 1).iterator());
      StateDicts.verify(back);
    }
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
