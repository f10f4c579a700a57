package io.streamtrain.training;

import io.streamtrain.config.LiveWindows;
import io.streamtrain.data.ImageShape;
import io.streamtrain.data.ImageTransforms;
import io.streamtrain.kafka.FeedHeaders;
import io.streamtrain.records.DeadLetters;
import io.streamtrain.records.ExampleDecoder;
import io.streamtrain.records.InvalidRecordException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Buffers {@code train.feed} records into shuffle windows of W examples, described in a store,
 * shuffles each sealed window with a seed derived from (seed, epoch, window-in-epoch) and hands it
 * to the {@link Trainer} in mini-batches of B, the last one partial (PyTorch's drop_last=False). An
 * epoch marker seals the partial window.
 *
 * <p>Live records (appended by the live tail, no epoch) fill live windows of their own, which seal
 * at {@link LiveWindows#size()} records or {@link LiveWindows#maxWaitMs()} after their first
 * record, whichever comes first. A sealed live window goes ahead of the epoch windows none of whose
 * batches was forwarded yet, and before the next batch of the epoch window in progress, which is
 * cut there (see {@link #sealLive}; the new order is written to the store in the same commit), so
 * that a replay running far ahead of training does not hold back what was just learned live. Epoch
 * windows keep their composition and shuffle, so replays stay reproducible. A live event's time is
 * its production time on the dataset topic ({@link FeedHeaders#PRODUCED}).
 *
 * <p>Examples live in memory only; the store keeps each window's description (epoch, position in
 * the epoch, feed offsets of its first and last example, count). The feed is a Kafka topic, so a
 * window's examples are read back from it ({@link FeedReader}) when the window was paged out
 * (beyond the memory budget, when the feed runs ahead of training) or after a restart, rather than
 * written a second time, to a changelog, on the way in.
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

  private static final long META = 0xFFFFFFL;
  private static final int IN_MEMORY_WINDOWS = 2;

  /**
   * Examples held in memory beyond the next {@value #IN_MEMORY_WINDOWS} windows: when the feed runs
   * ahead of training (a replay of many epochs), windows past this budget are read back from the
   * feed when their turn comes, so memory stays bounded however far ahead the feed is.
   */
  static final long MEMORY_BUDGET_BYTES = 256L << 20;

  private static final long MAX_WINDOW = META - 1;

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
  private final FeedReader feed;
  private final LiveWindows live;
  private final long liveWaitMs;
  private final ExampleChunks.Pool chunks;
  // The record being processed, decoded; its window's chunk takes a copy.
  private final byte[] decoded;
  private String lastTopic = "";
  private int lastPartition = -1;
  private String lastFeedPartition = "";
  private long memoryBudgetBytes = MEMORY_BUDGET_BYTES;

  private ProcessorContext<Object, Object> context;
  private KeyValueStore<Long, byte[]> store;
  private final Deque<ShuffleWindow> windows = new ArrayDeque<>();
  private long lastWindowIndex = -1;
  // The last released window, so that numbering continues after a restart that finds no window.
  private static final long LAST_RELEASED = -1L;
  // Dead letters per kind (DeadLetters.encode), changelogged with the dead letters themselves.
  private static final long DEAD_LETTER_COUNTS = -2L;
  // The last released epoch window, from which epoch windows continue their numbering in the epoch.
  private static final long LAST_EPOCH_WINDOW = -3L;
  static final String BAD_EPOCH_HEADER = DeadLetters.BAD_EPOCH_HEADER;
  private int lastWindowEpoch = -1;
  private int lastWindowInEpoch = -1;
  private boolean lastWindowEndedEpoch = true;
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
    if (windowSize > MAX_WINDOW) {
      throw new IllegalArgumentException("--shuffle-window must be below " + MAX_WINDOW);
    }
    this.decoder = decoder;
    this.seed = seed;
    this.windowSize = windowSize;
    this.batchSize = batchSize;
    this.drainBudgetNanos = drainBudget.toNanos();
    this.deadLetters = deadLetters;
    this.stop = stop;
    this.trainer = trainer;
    this.feed = feed;
    this.live = live;
    this.liveWaitMs = live.maxWaitMs();
    // Enough chunks for the windows normally in memory: the one training and the one filling.
    this.chunks =
        new ExampleChunks.Pool(
            Math.toIntExact(exampleBytes()),
            IN_MEMORY_WINDOWS * (long) windowSize * exampleBytes());
    this.decoded = new byte[Math.toIntExact(exampleBytes())];
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
    this.store = context.getStateStore(STORE);
    windows.clear();
    lastWindowIndex = -1;
    lastWindowEpoch = -1;
    lastWindowInEpoch = -1;
    lastWindowEndedEpoch = true;
    lastLiveMs = -1;
    restoreWindows();
    byte[] counts = store.get(DEAD_LETTER_COUNTS);
    deadLetters.restore(counts == null ? java.util.Map.of() : DeadLetters.decode(counts));
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
      sealForEpochEnd(epoch.orElse(currentEpoch()));
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
            : decodedEpoch == ExampleDecoder.NO_EPOCH ? currentEpoch() : decodedEpoch;
    ShuffleWindow window = fillingWindow(false);
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
    ShuffleWindow window = fillingWindow(true);
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
    ShuffleWindow window = new ShuffleWindow(++lastWindowIndex, currentEpoch(), 0);
    window.live = true;
    window.openedMs = context.currentSystemTimeMs();
    window.examples = chunks.newWindow(); // small: always in memory
    windows.addLast(window);
    writeMeta(window);
    return window;
  }

  /** Seals a live window once its wait is over, even if no record comes after it. */
  private void sealExpiredLiveWindow() {
    ShuffleWindow window = fillingWindow(true);
    if (window != null
        && window.count > 0
        && context.currentSystemTimeMs() - window.openedMs >= liveWaitMs) {
      sealLive(window);
    }
  }

  /**
   * Seals a live window and moves it ahead of the epoch windows none of whose batches was forwarded
   * yet, and cuts the epoch window in progress at its next batch: its remaining batches (same
   * composition, same shuffle) go to a continuation window after the live one. So a live window
   * waits for at most the batches already forwarded, never for the rest of a 60,000-example window.
   * The windows from the moved ones on are renumbered in order, in the store, in the same commit,
   * so that the deque stays in index order (the trainer's position and the release of windows rely
   * on it) and a restart rebuilds the same sequence. Live windows keep their order among
   * themselves; nothing the trainer reflected already (its resume position) moves.
   */
  private void sealLive(ShuffleWindow window) {
    window.sealed = true;
    List<ShuffleWindow> list = new ArrayList<>(windows);
    int at = list.indexOf(window);
    int to = at;
    while (to > 0 && movable(list.get(to - 1))) {
      to--;
    }
    ShuffleWindow continuation = to > 0 ? cut(list.get(to - 1)) : null;
    if (to == at && continuation == null) {
      writeMeta(window);
      return;
    }
    List<ShuffleWindow> renumbered = new ArrayList<>(list.subList(to, list.size()));
    renumbered.remove(window);
    renumbered.add(0, window);
    if (continuation != null) {
      renumbered.add(1, continuation);
    }
    for (ShuffleWindow w : list.subList(to, list.size())) {
      store.delete(metaKey(w.index));
    }
    long next = continuation != null ? list.get(to - 1).index + 1 : list.get(to).index;
    for (ShuffleWindow w : renumbered) {
      w.index = next++;
      writeMeta(w);
    }
    lastWindowIndex = Math.max(lastWindowIndex, next - 1);
    List<ShuffleWindow> reordered = new ArrayList<>(list.subList(0, to));
    reordered.addAll(renumbered);
    windows.clear();
    windows.addAll(reordered);
  }

  /** An epoch window neither forwarded from nor reflected by the trainer's resume position. */
  private boolean movable(ShuffleWindow w) {
    return !w.live && w.unstarted() && w.index > trainer.resumedWindow();
  }

  /**
   * Cuts an epoch window in progress after the batches forwarded (or reflected by the trainer when
   * it resumed): it ends there, and the returned continuation, which takes over its examples,
   * forwards the rest. Null when there is nothing left to cut.
   */
  private ShuffleWindow cut(ShuffleWindow w) {
    if (w.live || !w.sealed || w.count == 0) {
      return null;
    }
    int end = w.endBatch(batchSize);
    int at = Math.max(w.nextBatch, trainer.appliedOnResume(w.index, w.firstBatch, end));
    if (at <= w.firstBatch || at >= end) {
      return null;
    }
    ShuffleWindow rest = new ShuffleWindow(w.index, w.epoch, w.windowInEpoch);
    rest.count = w.count;
    rest.sealed = true;
    rest.epochEnd = w.epochEnd;
    rest.feedPartition = w.feedPartition;
    rest.firstOffset = w.firstOffset;
    rest.lastOffset = w.lastOffset;
    rest.firstBatch = at;
    rest.nextBatch = at;
    rest.endBatch = w.endBatch;
    w.endBatch = at;
    w.epochEnd = false; // the continuation ends the epoch
    writeMeta(w);
    if (w.nextBatch == at) { // else w still forwards batches up to the cut
      rest.examples = w.examples;
      rest.order = w.order;
      w.examples = null;
      w.order = null;
    }
    return rest;
  }

  private void deadLetter(Record<byte[], byte[]> record, InvalidRecordException e) {
    deadLetters.send(context, record, e);
    store.put(DEAD_LETTER_COUNTS, DeadLetters.encode(deadLetters.counts()));
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
      ShuffleWindow window = nextToForward();
      if (window == null || (!window.live && liveLookaheadFull())) {
        break;
      }
      pageIn(window);
      if (window.order == null) {
        window.order = shuffledOrder(window);
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
        freeExamples(window); // the batches are copies: the trainer needs no example any more
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

  /** The first sealed window with batches not forwarded yet, or null. */
  private ShuffleWindow nextToForward() {
    for (ShuffleWindow window : windows) {
      if (!window.sealed) {
        return null;
      }
      if (!window.forwarded(batchSize)) {
        return window;
      }
    }
    return null;
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

  private int[] shuffledOrder(ShuffleWindow window) {
    long salt =
        window.live
            ? mix(seed, LIVE_SALT, (int) window.firstOffset) ^ (window.firstOffset >>> 32)
            : mix(seed, window.epoch, window.windowInEpoch);
    return permutation(window.count, new SplittableRandom(salt));
  }

  // Live windows shuffle by their first feed offset, a function of the feed like epoch windows'.
  private static final int LIVE_SALT = -1;

  /** A Fisher-Yates permutation of 0..n-1 drawn from {@code random}. */
  public static int[] permutation(int n, SplittableRandom random) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  static long mix(long seed, int epoch, int windowInEpoch) {
    long h = seed * 0x9E3779B97F4A7C15L;
    h ^= (long) epoch * 0xC2B2AE3D27D4EB4FL;
    h ^= (long) windowInEpoch * 0x165667B19E3779F9L;
    return h;
  }

  private void sealForEpochEnd(int epoch) {
    ShuffleWindow window = fillingWindow(false);
    if (window == null) {
      window = openWindow(epoch);
    }
    seal(window, true);
  }

  private int currentEpoch() {
    ShuffleWindow last = lastEpochWindow();
    return last != null ? last.epoch : Math.max(lastWindowEpoch, 0);
  }

  private ShuffleWindow lastEpochWindow() {
    Iterator<ShuffleWindow> it = windows.descendingIterator();
    while (it.hasNext()) {
      ShuffleWindow w = it.next();
      if (!w.live) {
        return w;
      }
    }
    return null;
  }

  /** The unsealed live or epoch window: at most one of each kind fills at a time. */
  private ShuffleWindow fillingWindow(boolean live) {
    Iterator<ShuffleWindow> it = windows.descendingIterator();
    while (it.hasNext()) {
      ShuffleWindow w = it.next();
      if (w.live == live) {
        return w.sealed ? null : w;
      }
    }
    return null;
  }

  private ShuffleWindow openWindow(int epoch) {
    ShuffleWindow previous = lastEpochWindow();
    int windowInEpoch = 0;
    if (previous != null && previous.epoch == epoch && !previous.epochEnd) {
      windowInEpoch = previous.windowInEpoch + 1;
    } else if (previous == null && lastWindowEpoch == epoch && !lastWindowEndedEpoch) {
      windowInEpoch = lastWindowInEpoch + 1;
    }
    ShuffleWindow window = new ShuffleWindow(++lastWindowIndex, epoch, windowInEpoch);
    if (windows.size() < IN_MEMORY_WINDOWS
        || bytesInMemory() + windowBytes() <= memoryBudgetBytes) {
      window.examples = chunks.newWindow(); // else read back from the feed when its turn comes
    }
    windows.addLast(window);
    writeMeta(window);
    return window;
  }

  /** Memory held by in-memory windows, a filling one counted as full. */
  private long bytesInMemory() {
    long bytes = 0;
    for (ShuffleWindow w : windows) {
      if (w.examples != null) {
        bytes += (w.sealed ? w.count : w.live ? live.size() : windowSize) * exampleBytes();
      }
    }
    return bytes;
  }

  private long windowBytes() {
    return windowSize * exampleBytes();
  }

  /** Label byte plus pixels. */
  private long exampleBytes() {
    return 1L + decoder.inputShape().size();
  }

  private void seal(ShuffleWindow window, boolean epochEnd) {
    window.sealed = true;
    window.epochEnd = epochEnd;
    writeMeta(window);
  }

  private void freeExamples(ShuffleWindow window) {
    if (window.examples != null) {
      window.examples.release();
      window.examples = null;
    }
  }

  private void release(ShuffleWindow window) {
    freeExamples(window);
    store.delete(metaKey(window.index));
    if (!window.live) {
      lastWindowEpoch = window.epoch;
      lastWindowInEpoch = window.windowInEpoch;
      lastWindowEndedEpoch = window.epochEnd;
      store.put(LAST_EPOCH_WINDOW, ShuffleWindow.encodeMeta(window));
    }
    store.put(LAST_RELEASED, ShuffleWindow.encodeMeta(window));
    windows.pollFirst();
  }

  private void writeMeta(ShuffleWindow window) {
    store.put(metaKey(window.index), ShuffleWindow.encodeMeta(window));
  }

  /**
   * ShuffleWindow descriptions come back from the store; their examples are read from the feed
   * later.
   */
  private void restoreWindows() {
    byte[] released = store.get(LAST_RELEASED);
    if (released != null) {
      lastWindowIndex = ShuffleWindow.decodeMeta(released).index;
    }
    byte[] epochWindow = store.get(LAST_EPOCH_WINDOW);
    if (epochWindow == null && released != null && !ShuffleWindow.decodeMeta(released).live) {
      epochWindow = released; // written before live windows existed
    }
    if (epochWindow != null) {
      ShuffleWindow last = ShuffleWindow.decodeMeta(epochWindow);
      lastWindowEpoch = last.epoch;
      lastWindowInEpoch = last.windowInEpoch;
      lastWindowEndedEpoch = last.epochEnd;
    }
    try (KeyValueIterator<Long, byte[]> it = store.range(0L, Long.MAX_VALUE)) {
      while (it.hasNext()) {
        var kv = it.next();
        ShuffleWindow window = ShuffleWindow.decodeMeta(kv.value);
        window.openedMs = context.currentSystemTimeMs(); // an unsealed live window waits afresh
        windows.addLast(window);
        lastWindowIndex = Math.max(lastWindowIndex, window.index);
      }
    }
  }

  /**
   * Reads a paged-out window's examples back from the feed: the usable records between its first
   * and last offset, which are exactly the ones it took in.
   */
  private void pageIn(ShuffleWindow window) {
    if (window.examples != null) {
      return;
    }
    ExampleChunks examples = chunks.newWindow();
    if (window.count > 0) {
      if (window.firstOffset < 0) {
        throw new IllegalStateException(
            "ShuffleWindow " + window.index + " has no feed offsets to be read back from");
      }
      feed.read(
          window.feedPartition,
          window.firstOffset,
          window.lastOffset,
          (offset, headers, value) -> {
            byte[] example = exampleOf(headers, value, window.feedPartition, offset);
            if (example != null) {
              examples.add(example);
            }
          });
    }
    if (examples.size() != window.count) {
      examples.release();
      throw new IllegalStateException(
          "ShuffleWindow "
              + window.index
              + " held "
              + window.count
              + " examples but "
              + window.feedPartition
              + " offsets "
              + window.firstOffset
              + ".."
              + window.lastOffset
              + " give back "
              + examples.size());
    }
    window.examples = examples;
  }

  /** The example a feed record added to its window, or null for a marker or a dead letter. */
  private byte[] exampleOf(Headers headers, byte[] value, String feedPartition, long offset) {
    OptionalInt epoch;
    try {
      epoch = FeedHeaders.epoch(headers);
    } catch (IllegalArgumentException e) {
      return null;
    }
    if (FeedHeaders.isEpochEnd(headers)) {
      return null;
    }
    try {
      int partition = Integer.parseInt(feedPartition.substring(feedPartition.lastIndexOf('-') + 1));
      return decoder
          .decode(value, epoch.orElse(ImageTransforms.LIVE_EPOCH), partition, offset)
          .bytes();
    } catch (InvalidRecordException e) {
      return null;
    }
  }

  @Override
  public void close() {
    feed.close();
  }

  /** Descriptions sort by window index, after the negative keys of the batcher's own state. */
  private static long metaKey(long window) {
    return (window << 24) | META;
  }

  /** For tests: a smaller budget, to page out small windows. */
  void memoryBudget(long bytes) {
    memoryBudgetBytes = bytes;
  }

  /** Windows still held by the batcher: filling or sealed and not yet fully forwarded. */
  int windowsHeld() {
    return windows.size();
  }
}
