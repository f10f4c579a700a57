package io.streamtrain.training;

import io.streamtrain.metrics.TrainingListener;
import io.streamtrain.model.Evaluation;
import io.streamtrain.model.LiveTensor;
import io.streamtrain.model.StateDicts;
import io.streamtrain.schema.MetricKind;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.TrainingMetric;
import io.streamtrain.snapshots.ChunkWriter;
import io.streamtrain.snapshots.SnapshotChunks;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a trainer sends out, from whichever thread steps the model: snapshots and metrics to the
 * task's sinks and the matching listener calls, all on the stream thread through the outbox, in the
 * order they were sent.
 */
final class TrainerOutput {
  private static final Logger LOG = LoggerFactory.getLogger(TrainerOutput.class);
  static final String SNAPSHOTS = "snapshot-sink";
  static final String METRICS = "metric-sink";

  private final String modelName;
  private final ProcessorContext<Object, Object> context;
  private final StreamThreadOutbox outbox;
  private final TrainingListener listener;
  private final boolean systemClock;

  /**
   * Snapshots handed to the stream thread and not sent yet. Off the stream thread the trainer waits
   * for room before it hands over another: a stream thread held back (a busy machine, its lower
   * priority) must not collect copies of the model until the heap runs out.
   */
  static final int MAX_WAITING_SNAPSHOTS = 2;

  private final Semaphore snapshotRoom = new Semaphore(MAX_WAITING_SNAPSHOTS);

  /**
   * {@code systemClock}: stamp records with the system's wall clock (off the stream thread, where
   * the task's clock must not be read) instead of the task's.
   */
  TrainerOutput(
      String modelName,
      ProcessorContext<Object, Object> context,
      StreamThreadOutbox outbox,
      TrainingListener listener,
      boolean systemClock) {
    this.modelName = modelName;
    this.context = context;
    this.outbox = outbox;
    this.listener = listener;
    this.systemClock = systemClock;
  }

  /** Wall-clock time in milliseconds. */
  long now() {
    return systemClock ? System.currentTimeMillis() : context.currentSystemTimeMs();
  }

  /** Runs {@code action} on the stream thread, after what was sent before. */
  void onStreamThread(Runnable action) {
    outbox.post(action);
  }

  /** Commits the task's progress; on the stream thread only. */
  void commit() {
    context.commit();
  }

  /**
   * Sends {@code snapshot} to the snapshot sink: as one record, or, too large for one, as its chunk
   * records and then its manifest, all in the task's transaction (see {@link SnapshotChunks}). The
   * chunks are encoded and handed to the producer one at a time.
   */
  void snapshot(ModelSnapshot snapshot, long encodeNanos) {
    boolean counted = awaitRoomForSnapshot();
    long time = now();
    outbox.post(
        () -> {
          try {
            send(snapshot, time, encodeNanos);
          } finally {
            if (counted) {
              snapshotRoom.release();
            }
          }
        });
  }

  /**
   * Sends a snapshot too large for one record as its chunk records and manifest (in the task's
   * transaction, as {@link #snapshot}), encoded from the model's arrays where they live, one slice
   * and one chunk at a time, so that the trainer holds no copy of the model. The stream thread
   * encodes and sends it; the calling training thread waits until it has, because the arrays must
   * not change while they are read: training pauses for the write. Returns the manifest, null when
   * the wait was interrupted (the training thread stops).
   *
   * @param header the snapshot without tensors ({@code StateDicts.SnapshotBuilder#buildHeader});
   *     its SHA-256 is set as the tensors go by
   */
  ModelSnapshot snapshotStreamed(
      ModelSnapshot header,
      List<LiveTensor> tensors,
      List<LiveTensor> optimizerState,
      long encodeNanos) {
    long time = now();
    CompletableFuture<ModelSnapshot> written = new CompletableFuture<>();
    outbox.post(
        () -> {
          try {
            written.complete(sendStreamed(header, tensors, optimizerState, time, encodeNanos));
          } catch (RuntimeException | Error e) {
            written.completeExceptionally(e);
            throw e;
          }
        });
    try {
      return written.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "Cannot publish version " + header.getVersion() + ": " + e.getCause().getMessage(),
          e.getCause());
    }
  }

  private ModelSnapshot sendStreamed(
      ModelSnapshot header,
      List<LiveTensor> tensors,
      List<LiveTensor> optimizerState,
      long time,
      long encodeNanos) {
    long start = System.nanoTime();
    StateDicts.Checksum checksum = new StateDicts.Checksum();
    ModelSnapshot manifest =
        ChunkWriter.write(
            header,
            streamed(tensors),
            streamed(optimizerState),
            new SnapshotChunks.TensorObserver() {
              @Override
              public void tensor(String name, String dtype, List<Long> shape, long bytes) {
                checksum.tensor(name, dtype, shape, bytes);
              }

              @Override
              public void data(byte[] bytes, int off, int len) {
                checksum.data(bytes, off, len);
              }
            },
            checksum::hex,
            SnapshotChunks.DEFAULT_CHUNK_BYTES,
            (key, record) -> context.forward(new Record<>(key, record, time), SNAPSHOTS));
    LOG.debug(
        "Version {} of model {}: {} bytes in {} chunks streamed to the producer in {} ms",
        header.getVersion(),
        modelName,
        manifest.getManifest().getPayloadBytes(),
        manifest.getManifest().getChunks(),
        (System.nanoTime() - start) / 1_000_000);
    listener.onSnapshot(manifest, encodeNanos + System.nanoTime() - start);
    return manifest;
  }

  /** The model's live tensors as the chunk writer reads them. */
  static List<SnapshotChunks.StreamedTensor> streamed(List<LiveTensor> tensors) {
    List<SnapshotChunks.StreamedTensor> out = new ArrayList<>(tensors.size());
    for (LiveTensor t : tensors) {
      out.add(
          new SnapshotChunks.StreamedTensor() {
            @Override
            public String name() {
              return t.name();
            }

            @Override
            public List<Long> shape() {
              return t.shape();
            }

            @Override
            public String dtype() {
              return t.dtype();
            }

            @Override
            public long bytes() {
              return t.bytes();
            }

            @Override
            public void read(long offset, byte[] into, int off, int len) {
              t.read(offset, into, off, len);
            }
          });
    }
    return out;
  }

  /**
   * Off the stream thread, waits while {@link #MAX_WAITING_SNAPSHOTS} snapshots wait for it; true
   * once it took room, false on the stream thread itself or when interrupted (the worker stops).
   */
  private boolean awaitRoomForSnapshot() {
    if (!outbox.deferred()) {
      return false;
    }
    try {
      snapshotRoom.acquire();
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void send(ModelSnapshot snapshot, long time, long encodeNanos) {
    if (SnapshotChunks.needsChunks(snapshot)) {
      long start = System.nanoTime();
      ModelSnapshot manifest =
          SnapshotChunks.write(
              snapshot,
              SnapshotChunks.DEFAULT_CHUNK_BYTES,
              (key, record) -> context.forward(new Record<>(key, record, time), SNAPSHOTS));
      LOG.debug(
          "Version {} of model {}: {} bytes in {} chunks handed to the producer in {} ms",
          snapshot.getVersion(),
          modelName,
          manifest.getManifest().getPayloadBytes(),
          manifest.getManifest().getChunks(),
          (System.nanoTime() - start) / 1_000_000);
    } else {
      context.forward(new Record<>(modelName, snapshot, time), SNAPSHOTS);
    }
    listener.onSnapshot(snapshot, encodeNanos);
  }

  /** A training.metrics record of the model at {@code version}; null fields are left out. */
  void metric(
      MetricKind kind,
      long version,
      int epoch,
      Double loss,
      Double accuracy,
      Double imagesPerSecond,
      Long count,
      String detail) {
    TrainingMetric metric =
        TrainingMetric.newBuilder()
            .setModelName(modelName)
            .setVersion(version)
            .setEpoch(epoch)
            .setStep(version)
            .setKind(kind)
            .setLoss(loss)
            .setAccuracy(accuracy)
            .setImagesPerSecond(imagesPerSecond)
            .setCount(count)
            .setTime(Instant.ofEpochMilli(now()))
            .setDetail(detail)
            .build();
    outbox.post(
        () -> {
          context.forward(
              new Record<>(modelName, metric, metric.getTime().toEpochMilli()), METRICS);
          listener.onMetric(metric);
        });
  }

  void batchProgress(int epoch, long examplesInEpoch, double loss) {
    outbox.post(() -> listener.onBatchProgress(epoch, examplesInEpoch, loss));
  }

  void epochEnd(int epoch, Evaluation evaluation, ModelSnapshot snapshot) {
    outbox.post(() -> listener.onEpochEnd(epoch, evaluation, snapshot));
  }
}
