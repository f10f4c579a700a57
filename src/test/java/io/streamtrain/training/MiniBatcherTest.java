package io.streamtrain.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.config.LiveWindows;
import io.streamtrain.data.ImageShape;
import io.streamtrain.kafka.FeedHeaders;
import io.streamtrain.records.DeadLetters;
import io.streamtrain.records.ExampleDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

class MiniBatcherTest {
  private static final ImageShape SHAPE = new ImageShape(2, 2, 1);

  private static final ExampleDecoder DECODER = BatcherFixtures.indexDecoder(SHAPE);

  private record Setup(
      MockProcessorContext<Object, Object> context,
      MiniBatcher batcher,
      KeyValueStore<Long, byte[]> store,
      FeedLog log,
      StopSignal stop) {}

  /** A batcher on a fresh store and feed, or on those of {@code previous} (a restart). */
  private static Setup setup(long seed, int window, int batch, Setup previous) {
    return setup(seed, window, batch, previous, LiveWindows.defaults());
  }

  private static Setup setup(long seed, int window, int batch, Setup previous, LiveWindows live) {
    return setup(seed, window, batch, previous, live, TrainerQueue.withoutFeedback());
  }

  /** With {@code queue}: a queue with feedback keeps windows until the trainer says done. */
  private static Setup setup(
      long seed, int window, int batch, Setup previous, LiveWindows live, TrainerQueue queue) {
    MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
    context.setCurrentSystemTimeMs(1_000L);
    KeyValueStore<Long, byte[]> store = previous == null ? null : previous.store();
    FeedLog log = previous == null ? new FeedLog() : previous.log();
    StopSignal stop = new StopSignal();
    if (store == null) {
      store = BatcherFixtures.store(context);
    }
    context.addStateStore(store);
    MiniBatcher batcher =
        new MiniBatcher(
            DECODER,
            seed,
            window,
            batch,
            Duration.ofSeconds(10),
            new DeadLetters(MiniBatcher.DEAD_LETTERS),
            stop,
            queue,
            log,
            live);
    batcher.init(context);
    return new Setup(context, batcher, store, log, stop);
  }

  private static void feed(Setup s, int epoch, int from, int to) {
    for (int i = from; i < to; i++) {
      RecordHeaders headers = new RecordHeaders();
      headers.add(FeedHeaders.EPOCH, String.valueOf(epoch).getBytes(StandardCharsets.UTF_8));
      s.log()
          .send(
              s.batcher(),
              s.context(),
              new Record<>(null, String.valueOf(i).getBytes(StandardCharsets.UTF_8), 0L, headers));
    }
  }

  /** Live records (no epoch), as the live tail appends them. */
  private static void feedLive(Setup s, int from, int to) {
    for (int i = from; i < to; i++) {
      RecordHeaders headers = new RecordHeaders();
      headers.add(FeedHeaders.LIVE, FeedHeaders.liveSource("images.train-0", i));
      s.log()
          .send(
              s.batcher(),
              s.context(),
              new Record<>(
                  null, String.valueOf(i).getBytes(StandardCharsets.UTF_8), 5_000L + i, headers));
    }
  }

  @Test
  void shouldPutASealedLiveWindowAheadOfTheFillingEpochWindowAndLeaveEpochBatchesUnchanged() {
    Setup alone = setup(3, 100, 8, null);
    feed(alone, 1, 0, 100);
    alone.batcher().drain();
    List<Batch> epochOnly = batches(alone.context());

    Setup mixed = setup(3, 100, 8, null, new LiveWindows(8, 60_000, 0));
    feed(mixed, 1, 0, 50);
    feedLive(mixed, 200, 208); // a full live window while the epoch window fills
    feed(mixed, 1, 50, 100);
    mixed.batcher().drain();
    List<Batch> out = batches(mixed.context());
    assertEquals(epochOnly.size() + 1, out.size());
    Batch live = out.get(0);
    assertTrue(live.isLive(), "the live window goes first");
    assertEquals(0, live.windowIndex(), "it took the epoch window's index");
    assertEquals(Set.of(200, 201, 202, 203, 204, 205, 206, 207), idSet(live));
    assertEquals(5_200L, live.live().oldestEventTime());
    assertEquals(5_207L, live.live().newestEventTime());
    for (int i = 0; i < epochOnly.size(); i++) {
      Batch a = epochOnly.get(i);
      Batch b = out.get(i + 1);
      assertFalse(b.isLive());
      assertEquals(1, b.windowIndex());
      assertArrayEquals(exampleIds(a), exampleIds(b), "epoch batch " + i + " unchanged");
    }
  }

  @Test
  void shouldSealALiveWindowOnItsWaitAndRestoreItsSealAfterARestart() {
    LiveWindows live = new LiveWindows(100, 200, 0);
    Setup s = setup(3, 100, 8, null, live, new TrainerQueue(TrainerQueue.DEFAULT_CAPACITY));
    feedLive(s, 0, 5);
    s.context().setCurrentSystemTimeMs(1_150L);
    s.batcher().drain();
    assertTrue(batches(s.context()).isEmpty(), "still waiting");
    s.context().setCurrentSystemTimeMs(1_200L);
    s.batcher().drain();
    List<Batch> out = batches(s.context());
    assertEquals(1, out.size());
    assertEquals(5, out.get(0).size());
    // A restart before the trainer reported the window done finds it sealed, with the same batch.
    Setup restarted = setup(3, 100, 8, s, live, new TrainerQueue(TrainerQueue.DEFAULT_CAPACITY));
    restarted.batcher().drain();
    List<Batch> again = batches(restarted.context());
    assertEquals(1, again.size());
    assertArrayEquals(exampleIds(out.get(0)), exampleIds(again.get(0)));
    assertTrue(again.get(0).isLive());
  }

  private static Set<Integer> idSet(Batch b) {
    Set<Integer> ids = new HashSet<>();
    for (int id : exampleIds(b)) {
      ids.add(id);
    }
    return ids;
  }

  private static void marker(Setup s, int epoch) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(FeedHeaders.MARKER, FeedHeaders.EPOCH_END.getBytes(StandardCharsets.UTF_8));
    headers.add(FeedHeaders.EPOCH, String.valueOf(epoch).getBytes(StandardCharsets.UTF_8));
    s.log().send(s.batcher(), s.context(), new Record<>(null, null, 0L, headers));
  }

  /** The batches forwarded so far, as (label list) per batch, plus their metadata. */
  private static List<Batch> batches(MockProcessorContext<Object, Object> context) {
    List<Batch> out = new ArrayList<>();
    for (var forwarded : context.forwarded()) {
      if (forwarded.record().value() instanceof Batch b) {
        // Copy: the batcher reuses its buffers.
        out.add(
            new Batch(
                b.windowIndex(),
                b.batchIndex(),
                b.batchCount(),
                b.epoch(),
                b.epochEnd(),
                b.size(),
                java.util.Arrays.copyOf(b.pixels(), b.size() * SHAPE.size()),
                java.util.Arrays.copyOf(b.labels(), b.size()),
                b.feedPartition(),
                b.windowFirstOffset(),
                b.windowEndOffset(),
                b.live()));
      }
    }
    return out;
  }

  private static int[] exampleIds(Batch b) {
    int[] ids = new int[b.size()];
    for (int i = 0; i < b.size(); i++) {
      ids[i] = Math.round(b.pixels()[i * SHAPE.size()] * 255f);
    }
    return ids;
  }

  @Test
  void shouldEmitNothingUntilTheWindowIsFull() {
    Setup s = setup(1, 100, 8, null);
    feed(s, 1, 0, 99);
    s.batcher().drain();
    assertTrue(batches(s.context()).isEmpty());
    feed(s, 1, 99, 100);
    s.batcher().drain();
    List<Batch> out = batches(s.context());
    assertEquals(13, out.size(), "100 examples in batches of 8: 12 full and one of 4");
    assertEquals(4, out.get(12).size());
    assertTrue(out.stream().limit(12).allMatch(b -> b.size() == 8));
  }

  @Test
  void shouldShuffleEveryExampleOfTheWindowExactlyOnce() {
    Setup s = setup(7, 200, 16, null);
    feed(s, 1, 0, 200);
    s.batcher().drain();
    Set<Integer> seen = new HashSet<>();
    List<Integer> order = new ArrayList<>();
    for (Batch b : batches(s.context())) {
      for (int id : exampleIds(b)) {
        assertTrue(seen.add(id), "example " + id + " twice");
        order.add(id);
      }
    }
    assertEquals(200, seen.size());
    List<Integer> sorted = new ArrayList<>(order);
    sorted.sort(null);
    assertNotEquals(sorted, order, "the window must be shuffled");
  }

  @Test
  void shouldProduceIdenticalBatchesForTheSameSeedAndDifferentOnesForAnotherSeedOrEpoch() {
    int[][] a = run(42, 1);
    int[][] b = run(42, 1);
    int[][] otherSeed = run(43, 1);
    int[][] otherEpoch = run(42, 2);
    for (int i = 0; i < a.length; i++) {
      assertArrayEquals(a[i], b[i]);
    }
    assertFalse(java.util.Arrays.deepEquals(a, otherSeed));
    assertFalse(java.util.Arrays.deepEquals(a, otherEpoch));
  }

  private static int[][] run(long seed, int epoch) {
    Setup s = setup(seed, 64, 8, null);
    feed(s, epoch, 0, 64);
    s.batcher().drain();
    return batches(s.context()).stream().map(MiniBatcherTest::exampleIds).toArray(int[][]::new);
  }

  @Test
  void shouldFlushThePartialWindowAndLastPartialBatchAtTheEpochMarker() {
    Setup s = setup(3, 1000, 64, null);
    List<Batch> out = wholeEpoch(s, 150);
    assertEquals(3, out.size());
    assertEquals(List.of(64, 64, 22), out.stream().map(Batch::size).toList());
    assertTrue(out.get(2).epochEnd() && out.get(2).lastOfWindow());
    assertEquals(0, s.batcher().windowsHeld(), "a forwarded window is released");
  }

  @Test
  void shouldSignalTheEpochEndWithAnEmptyBatchWhenTheMarkerFollowsAFullWindow() {
    Setup s = setup(3, 50, 10, null);
    List<Batch> out = wholeEpoch(s, 50);
    assertEquals(6, out.size());
    Batch last = out.get(5);
    assertEquals(0, last.size());
    assertTrue(last.epochEnd());
    assertEquals(out.get(0).windowIndex() + 1, last.windowIndex());
  }

  @Test
  void shouldResendAStoredWindowFromItsFirstBatchAfterARestart() {
    Setup first = setup(5, 40, 8, null);
    feed(first, 1, 0, 40);
    // Crash before the punctuation: the sealed window is only in the store.
    Setup restarted = setup(5, 40, 8, first);
    restarted.batcher().drain();
    Setup uninterrupted = setup(5, 40, 8, null);
    feed(uninterrupted, 1, 0, 40);
    uninterrupted.batcher().drain();
    List<Batch> a = batches(restarted.context());
    List<Batch> b = batches(uninterrupted.context());
    assertEquals(
        1, first.log().reads(), "the restarted batcher read its window back from the feed");
    assertEquals(5, a.size());
    for (int i = 0; i < a.size(); i++) {
      assertArrayEquals(exampleIds(b.get(i)), exampleIds(a.get(i)));
      assertEquals(b.get(i).windowIndex(), a.get(i).windowIndex());
    }
  }

  @Test
  void shouldRebuildAFillingWindowWithoutItsDeadLettersAfterARestart() {
    Setup first = setup(5, 10, 5, null);
    feed(first, 1, 0, 3);
    feed(first, 1, -1, 0); // dead-lettered, between two examples of the window
    feed(first, 1, 3, 6);
    Setup restarted = setup(5, 10, 5, first); // crash with 6 of 10 examples in the filling window
    feed(restarted, 1, 6, 10);
    restarted.batcher().drain();
    Setup uninterrupted = setup(5, 10, 5, null);
    feed(uninterrupted, 1, 0, 10);
    uninterrupted.batcher().drain();
    List<Batch> a = batches(restarted.context());
    List<Batch> b = batches(uninterrupted.context());
    assertEquals(2, a.size());
    for (int i = 0; i < a.size(); i++) {
      assertArrayEquals(exampleIds(b.get(i)), exampleIds(a.get(i)));
    }
  }

  @Test
  void shouldDeadLetterAnUndecodableRecordAndKeepGoing() {
    Setup s = setup(5, 4, 2, null);
    feed(s, 1, 0, 2);
    feed(s, 1, -1, 0); // decodes to -1: rejected
    feed(s, 1, 2, 4);
    s.batcher().drain();
    long deadLetters =
        s.context().forwarded().stream()
            .filter(f -> MiniBatcher.DEAD_LETTERS.equals(f.childName().orElse(null)))
            .count();
    assertEquals(1, deadLetters);
    assertEquals(2, batches(s.context()).size());
  }

  @Test
  void shouldKeepWindowsWithinTheMemoryBudgetInMemory() {
    Setup s = setup(9, 32, 8, null);
    feed(s, 1, 0, 32 * 5);
    s.batcher().drain();
    assertEquals(20, batches(s.context()).size());
    assertEquals(0, s.log().reads(), "five small windows fit the budget: nothing read back");
  }

  @Test
  void shouldReadWindowsBeyondTheBudgetBackFromTheFeed() {
    Setup paged = setup(9, 32, 8, null);
    paged.batcher().memoryBudget(0); // only the next two windows in memory
    feed(paged, 1, 0, 32 * 5); // five sealed windows before any batch
    paged.batcher().drain();
    Setup reference = setup(9, 32, 8, null);
    for (int w = 0; w < 5; w++) {
      feed(reference, 1, w * 32, (w + 1) * 32);
      reference.batcher().drain();
    }
    List<Batch> a = batches(paged.context());
    List<Batch> b = batches(reference.context());
    assertEquals(
        3, paged.log().reads(), "the three windows behind the next two came from the feed");
    assertEquals(0, reference.log().reads());
    assertEquals(20, a.size());
    for (int i = 0; i < a.size(); i++) {
      assertArrayEquals(exampleIds(b.get(i)), exampleIds(a.get(i)), "batch " + i);
    }
  }

  @Test
  void shouldStopHandingOutBatchesOnceAStopIsRequested() {
    Setup s = setup(1, 16, 4, null);
    feed(s, 1, 0, 16);
    s.stop().request();
    s.batcher().drain();
    assertTrue(batches(s.context()).isEmpty());
    assertEquals(1, s.batcher().windowsHeld(), "the window stays stored for the next run");
  }

  /** Feeds examples 0 .. count-1 of epoch 1 and its end marker, drains: the batches out. */
  private static List<Batch> wholeEpoch(Setup s, int count) {
    feed(s, 1, 0, count);
    marker(s, 1);
    s.batcher().drain();
    return batches(s.context());
  }
}
