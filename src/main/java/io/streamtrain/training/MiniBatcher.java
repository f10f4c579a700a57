package io.streamtrain.training;

import io.streamtrain.config.LiveWindows;
import io.streamtrain.data.ImageShape;
import io.streamtrain.data.ImageTransforms;
import io.streamtrain.kafka.FeedHeaders;
import io.streamtrain.records.DeadLetters;
import io.streamtrain.records.ExampleDecoder;
import io.streamtrain.records.InvalidRecordException;
import java.time.Duration;
import java.util.Deque;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Buffers {@code train.feed} records into shuffle windows of W examples, described in a store,
 * shuffles each sealed window with a seed derived from (seed, epoch, window-in-epoch) and hands it
 * to the {@link Trainer} in mini-batches of B, the last one partial (PyTorch's drop_last=False). An
 * epoch marker seals the partial window.
 *
 * <p>Live records (appended by the live tail, no epoch) fill live windows of their own, which seal
 * at {@link LiveWindows#size()} records or {@link LiveWindows#maxWaitMs()} after their first
 * record, whichever comes first. A sealed live window goes ahead of the epoch work not started yet
 * ({@link LiveSealing}), so that a replay running far ahead of training does not hold back what was
 * just learned live. Epoch windows keep their composition and shuffle ({@link WindowShuffle}), so
 * replays stay reproducible. A live event's time is its production time on the dataset topic
 * ({@link FeedHeaders#PRODUCED}).
 *
 * <p>Examples live in memory only; the store ({@link WindowStore}) keeps each window's description
 * (epoch, position in the epoch, feed offsets of its first and last example, count). The feed is a
 * Kafka topic, so a window's examples are read back from it ({@link WindowPager}) when the window
 * was paged out or after a restart, rather than written a second time, to a changelog.
 *
 * <p>Crash safety: a window's description stays in the store until all its batches were forwarded
 * and the trainer has published the snapshot of the window's end (see {@link TrainerQueue}), so
 * after a crash the store describes every example the newest committed snapshot does not reflect.
 * The description of the filling window is updated with every record (the store's cache turns that
 * into one write per commit), and Kafka Streams commits it with the consumed offsets, so the two
 * always agree. After a restore the batcher forwards the stored windows from their first batch; the
 * trainer skips what its snapshot already reflects. The batches are identical because window
 * membership is a function of feed offsets (the feed has one partition) and the shuffle of (seed,
 * epoch, window-in-epoch).
 *
 * <p>Records that cannot be trained on go to the dead-letter sink in the same transaction, and the
 * per-kind counts are kept in the store too, so they count each dead letter once across crashes.
 *
 * <p>Kafka Streams may re-initialise this same instance after closing it (a corrupted task is
 * revived), so {@link #init} starts from nothing but the store.
 */
public final class MiniBatcher implements Processor<byte[], byte[], Object, Object> {

  public static final String STORE = "minibatcher-windows";
  static final String TRAINER = "Trainer";
  static final String DEAD_LETTERS = "dead-letters";

  /**
   * Examples held in memory beyond the next two windows: when the feed runs ahead of training (a
   * replay of many epochs), windows past this budget are read back from the feed when their turn
   * comes, so memory stays bounded however far ahead the feed is.
   */
  static final long MEMORY_BUDGET_BYTES = 256L << 20;

  /**
   * Epoch work in flight at most while live records keep coming: a sealed live window goes before
   * the next epoch batch, but after those already handed to the trainer, so their number follows
   * the trainer's time per batch (between {@link #MIN_LIVE_LOOKAHEAD_BATCHES} and {@link
   * #MAX_LIVE_LOOKAHEAD_BATCHES}; the most until a time is known). A full queue ({@link
   * TrainerQueue#DEFAULT_CAPACITY}) is seconds of a CNN's training. Replay-only runs keep the whole
   * queue.
   */
  static final long LIVE_LOOKAHEAD_NANOS = 250_000_000L;

  static final int MIN_LIVE_LOOKAHEAD_BATCHES = 4;
  static final int MAX_LIVE_LOOKAHEAD_BATCHES = 32;

  /** How long after the last live record epoch batches stay limited to the live lookahead. */
  static final long LIVE_RECENT_MS = 10_000;

  private final ExampleDecoder decoder;
  private final long seed;
  private final int windowSize;
  private final int batchSize;
  private final long drainBudgetNanos;
  private final DeadLetters deadLetters;
  private final StopSignal stop;
  private final TrainerQueue trainer;
  private final LiveWindows live;
  private final long liveWaitMs;
  private final WindowPager pager;
  private final LiveSealing liveSealing;
  // The record being processed, decoded; its window's chunk takes a copy.
  private final byte[] decoded;
  private String lastTopic = "";
  private int lastPartition = -1;
  private String lastFeedPartition = "";

  private ProcessorContext<Object, Object> context;
  private WindowStore store;
  private final WindowSequence sequence = new WindowSequence();
  private final Deque<ShuffleWindow> windows = sequence.windows;
  static final String BAD_EPOCH_HEADER = DeadLetters.BAD_EPOCH_HEADER;
  // When the last live record came (the task's wall clock), -1 for none since init.
  private long lastLiveMs = -1;

  /**
   * @param trainer what the trainer reports back; {@link TrainerQueue#withoutFeedback()} for a
   *     batcher tested alone, whose windows are released once forwarded
   */
  MiniBatcher(
      ExampleDecoder decoder,
      long seed,
      int windowSize,
      int batchSize,
      Duration drainBudget,
      DeadLetters deadLetters,
      StopSignal stop,
      TrainerQueue trainer,
      FeedReader feed,
      LiveWindows live) {
    if (windowSize > WindowStore.MAX_WINDOW) {
      throw new IllegalArgumentException(
          "--shuffle-window must be below " + WindowStore.MAX_WINDOW);
    }
    this.decoder = decoder;
    this.seed = seed;
    this.windowSize = windowSize;
    this.batchSize = batchSize;
    this.drainBudgetNanos = drainBudget.toNanos();
    this.deadLetters = deadLetters;
    this.stop = stop;
    this.trainer = trainer;
    this.live = live;
    this.liveWaitMs = live.maxWaitMs();
    this.pager = new WindowPager(decoder, feed, windowSize, live.size());
    this.liveSealing = new LiveSealing(trainer, batchSize);
    this.decoded = new byte[Math.toIntExact(pager.exampleBytes())];
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
    this.store = new WindowStore(context.getStateStore(STORE));
    lastLiveMs = -1;
    // Window descriptions come back from the store; their examples are read from the feed later.
    sequence.restore(store, context.currentSystemTimeMs());
    store.restoreDeadLetterCounts(deadLetters);
    context.schedule(Duration.ofMillis(1), PunctuationType.WALL_CLOCK_TIME, now -> drain());
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    Headers headers = record.headers();
    if (FeedHeaders.isLive(headers)) {
      // The live lane's stream timestamp only orders it first (LiveLaneFirst); dead letters keep
      // the event's production time.
      record = record.withTimestamp(FeedHeaders.producedAt(headers, record.timestamp()));
    }
    OptionalInt epoch;
    try {
      epoch = FeedHeaders.epoch(headers);
    } catch (IllegalArgumentException e) {
      deadLetter(record, new InvalidRecordException(BAD_EPOCH_HEADER, e.getMessage(), e));
      return;
    }
    if (FeedHeaders.isEpochEnd(headers)) {
      sealForEpochEnd(epoch.orElse(sequence.currentEpoch()));
      return;
    }
    int decodedEpoch;
    byte[] example = decoded; // copied into its window's chunk below
    RecordMetadata m = context.recordMetadata().orElse(null);
    try {
      decodedEpoch =
          decoder.decodeInto(
              record.value(),
              epoch.orElse(ImageTransforms.LIVE_EPOCH),
              m == null ? -1 : m.partition(),
              m == null ? -1 : m.offset(),
              example,
              0);
    } catch (InvalidRecordException e) {
      deadLetter(record, e);
      return;
    }
    if (epoch.isEmpty() && FeedHeaders.isLive(headers)) {
      addLive(record, example);
      return;
    }
    int recordEpoch =
        epoch.isPresent()
            ? epoch.getAsInt()
            : decodedEpoch == ExampleDecoder.NO_EPOCH ? sequence.currentEpoch() : decodedEpoch;
    ShuffleWindow window = sequence.filling(false);
    if (window != null && window.epoch != recordEpoch) {
      seal(window, false);
      window = null;
    }
    ShuffleWindow target = window != null ? window : openWindow(recordEpoch);
    if (target.examples != null) {
      target.examples.add(example);
    }
    target.count++;
    if (m != null) {
      target.noteOffset(feedPartition(m), m.offset());
    }
    if (target.count >= windowSize) {
      seal(target, false);
    } else {
      writeMeta(target); // coalesced by the store's cache: one write per commit, not per record
    }
  }

  /** {@code topic-partition} of the record, one string per partition rather than per record. */
  private String feedPartition(RecordMetadata m) {
    if (m.partition() != lastPartition || !m.topic().equals(lastTopic)) {
      lastTopic = m.topic();
      lastPartition = m.partition();
      lastFeedPartition = m.topic() + "-" + m.partition();
    }
    return lastFeedPartition;
  }

  private void addLive(Record<byte[], byte[]> record, byte[] example) {
    ShuffleWindow window = sequence.filling(true);
    ShuffleWindow target = window != null ? window : openLiveWindow();
    lastLiveMs = context.currentSystemTimeMs();
    if (target.examples != null) {
      target.examples.add(example);
    }
    target.count++;
    target.noteEventTime(FeedHeaders.producedAt(record.headers(), record.timestamp()));
    context.recordMetadata().ifPresent(m -> target.noteOffset(feedPartition(m), m.offset()));
    if (target.count >= live.size()) {
      sealLive(target);
    } else {
      writeMeta(target);
    }
  }

  private ShuffleWindow openLiveWindow() {
    ShuffleWindow window = new ShuffleWindow(sequence.nextIndex(), sequence.currentEpoch(), 0);
    window.live = true;
    window.openedMs = context.currentSystemTimeMs();
    window.examples = pager.newWindow(); // small: always in memory
    windows.addLast(window);
    writeMeta(window);
    return window;
  }

  /** Seals a live window once its wait is over, even if no record comes after it. */
  private void sealExpiredLiveWindow() {
    ShuffleWindow window = sequence.filling(true);
    if (window != null
        && window.count > 0
        && context.currentSystemTimeMs() - window.openedMs >= liveWaitMs) {
      sealLive(window);
    }
  }

  /** Seals a live window and moves it ahead of the epoch work not started yet. */
  private void sealLive(ShuffleWindow window) {
    sequence.noteIndex(liveSealing.seal(window, windows, store));
  }

  private void deadLetter(Record<byte[], byte[]> record, InvalidRecordException e) {
    deadLetters.send(context, record, e);
    store.writeDeadLetterCounts(deadLetters);
  }

  /**
   * Forwards batches of sealed windows while the trainer has room for them, for at most the drain
   * budget, and releases the windows the trainer is done with.
   */
  void drain() {
    long deadline = System.nanoTime() + drainBudgetNanos;
    sealExpiredLiveWindow();
    releaseDone();
    while (!stop.isRequested() && trainer.room() > 0 && System.nanoTime() < deadline) {
      ShuffleWindow window = sequence.nextToForward(batchSize);
      if (window == null || (!window.live && liveLookaheadFull())) {
        break;
      }
      pager.pageIn(window);
      if (window.order == null) {
        window.order = WindowShuffle.order(window, seed);
      }
      int batchCount = window.batchCount(batchSize);
      if (batchCount == 0) {
        forwardBatch(window, 0, 0, 0);
      } else {
        int b = window.nextBatch;
        int from = b * batchSize;
        int size = Math.min(batchSize, window.count - from);
        forwardBatch(window, b, batchCount, size);
      }
      window.nextBatch++;
      if (window.forwarded(batchSize)) {
        pager.free(window); // the batches are copies: the trainer needs no example any more
      }
      releaseDone();
    }
  }

  /** Whether live records came recently and the epoch batches in flight fill the lookahead. */
  private boolean liveLookaheadFull() {
    return lastLiveMs >= 0
        && context.currentSystemTimeMs() - lastLiveMs < LIVE_RECENT_MS
        && trainer.queued() >= liveLookaheadBatches();
  }

  int liveLookaheadBatches() {
    long step = trainer.stepNanos();
    if (step <= 0) {
      return MAX_LIVE_LOOKAHEAD_BATCHES;
    }
    long batches = Math.round((double) LIVE_LOOKAHEAD_NANOS / step);
    return (int)
        Math.max(MIN_LIVE_LOOKAHEAD_BATCHES, Math.min(MAX_LIVE_LOOKAHEAD_BATCHES, batches));
  }

  /**
   * Deletes the leading windows that are forwarded and whose end snapshot the trainer published.
   */
  private void releaseDone() {
    while (!windows.isEmpty()
        && windows.peekFirst().forwarded(batchSize)
        && windows.peekFirst().index <= trainer.windowDone()) {
      release(windows.peekFirst());
    }
  }

  private void forwardBatch(ShuffleWindow window, int batchIndex, int batchCount, int size) {
    ImageShape shape = decoder.inputShape();
    // A stepped batch's buffer or a fresh one: a forwarded batch stays valid until stepped.
    float[] pixelBuffer = trainer.pixelBuffer(size * shape.size());
    int[] labelBuffer = new int[size];
    int from = batchIndex * batchSize;
    for (int i = 0; i < size; i++) {
      int index = window.order[from + i];
      byte[] chunk = window.examples.chunkOf(index);
      int offset = window.examples.offsetOf(index);
      labelBuffer[i] = chunk[offset];
      decoder.toTensor(chunk, offset + 1, pixelBuffer, i * shape.size());
    }
    Batch batch =
        new Batch(
            window.index,
            batchIndex,
            batchCount,
            window.epoch,
            window.epochEnd,
            size,
            pixelBuffer,
            labelBuffer,
            window.feedPartition,
            window.firstOffset,
            window.lastOffset + 1,
            window.live
                ? new Batch.LiveSpan(window.oldestEventTime, window.newestEventTime)
                : null);
    context.forward(new Record<>(window.index, batch, context.currentSystemTimeMs()), TRAINER);
  }

  /** A Fisher-Yates permutation of 0..n-1 drawn from {@code random}. */
  public static int[] permutation(int n, SplittableRandom random) {
    return WindowShuffle.permutation(n, random);
  }

  private void sealForEpochEnd(int epoch) {
    ShuffleWindow window = sequence.filling(false);
    if (window == null) {
      window = openWindow(epoch);
    }
    seal(window, true);
  }

  private ShuffleWindow openWindow(int epoch) {
    int windowInEpoch = sequence.nextWindowInEpoch(epoch);
    ShuffleWindow window = new ShuffleWindow(sequence.nextIndex(), epoch, windowInEpoch);
    window.examples = pager.newEpochWindow(windows); // null: read back from the feed later
    windows.addLast(window);
    writeMeta(window);
    return window;
  }

  private void seal(ShuffleWindow window, boolean epochEnd) {
    window.sealed = true;
    window.epochEnd = epochEnd;
    writeMeta(window);
  }

  private void release(ShuffleWindow window) {
    pager.free(window);
    store.released(window);
    sequence.releaseFirst();
  }

  private void writeMeta(ShuffleWindow window) {
    store.write(window);
  }

  @Override
  public void close() {
    pager.close();
  }

  /** For tests: a smaller budget, to page out small windows. */
  void memoryBudget(long bytes) {
    pager.memoryBudget(bytes);
  }

  /** Windows still held by the batcher: filling or sealed and not yet fully forwarded. */
  int windowsHeld() {
    return windows.size();
  }
}
