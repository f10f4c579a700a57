package io.streamtrain.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.config.LiveWindows;
import io.streamtrain.data.ImageShape;
import io.streamtrain.kafka.FeedHeaders;
import io.streamtrain.records.DeadLetters;
import io.streamtrain.records.ExampleDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

/**
 * A sealed live window goes before the next batch of the epoch window in progress: the epoch window
 * is cut there, its batches unchanged, and the cut survives a restart.
 */
class MiniBatcherInterleavingTest {
  private static final ImageShape SHAPE = new ImageShape(2, 2, 1);
  private static final ExampleDecoder DECODER = BatcherFixtures.indexDecoder(SHAPE);
  private static final int WINDOW = 100;
  private static final int BATCH = 8; // 13 batches per full window
  private static final LiveWindows LIVE = new LiveWindows(8, 60_000, 0);

  /** A batcher whose trainer takes {@code capacity} batches at a time, as the real one does. */
  private record Setup(
      MockProcessorContext<Object, Object> context,
      MiniBatcher batcher,
      KeyValueStore<Long, byte[]> store,
      FeedLog log,
      TrainerQueue queue,
      List<Batch> out) {}

  private static Setup setup(int capacity, Setup previous, long resumedWindow, int resumedBatches) {
    TrainerQueue queue = new TrainerQueue(capacity);
    queue.resumedAt(resumedWindow, resumedBatches);
    List<Batch> out = new ArrayList<>();
    MockProcessorContext<Object, Object> context =
        new MockProcessorContext<>() {
          @Override
          public <K, V> void forward(Record<K, V> record, String childName) {
            if (record.value() instanceof Batch b) {
              out.add(copy(b));
              queue.added(); // what the Trainer does as it takes a batch
            }
          }
        };
    context.setCurrentSystemTimeMs(1_000L);
    KeyValueStore<Long, byte[]> store =
        previous == null ? BatcherFixtures.store(context) : previous.store();
    FeedLog log = previous == null ? new FeedLog() : previous.log();
    context.addStateStore(store);
    MiniBatcher batcher =
        new MiniBatcher(
            DECODER,
            3,
            WINDOW,
            BATCH,
            Duration.ofSeconds(10),
            new DeadLetters(MiniBatcher.DEAD_LETTERS),
            new StopSignal(),
            queue,
            log,
            LIVE);
    batcher.init(context);
    return new Setup(context, batcher, store, log, queue, out);
  }

  /** The trainer steps through the batches it was handed. */
  private static void stepAll(Setup s, int forwarded) {
    stepAll(s, forwarded, 0);
  }

  /** Reports {@code forwarded} batches stepped, each in {@code nanos} (0: not timed). */
  private static void stepAll(Setup s, int forwarded, long nanos) {
    for (int i = 0; i < forwarded; i++) {
      s.queue().stepped(null, nanos);
    }
  }

  @Test
  void shouldTrainASealedLiveWindowBeforeTheNextBatchOfTheEpochWindowInProgress() {
    List<Batch> reference = epochOnly();

    Setup s = setup(3, null, -1, 0);
    feed(s, 0, WINDOW); // a full epoch window, sealed
    s.batcher().drain();
    assertEquals(3, s.out().size(), "the trainer took three batches of the epoch window");
    feedLive(s, 200, 208); // a full live window seals while the epoch window is in progress
    stepAll(s, 3);
    s.batcher().drain();
    stepAll(s, 3);
    s.batcher().drain();
    stepAll(s, 3);
    s.batcher().drain();
    stepAll(s, 3);
    s.batcher().drain();
    stepAll(s, 3);
    s.batcher().drain();

    List<Batch> out = s.out();
    assertEquals(reference.size() + 1, out.size());
    Batch live = out.get(3);
    assertTrue(live.isLive(), "the live batch comes right after the batches already taken");
    assertEquals(1, live.windowIndex());
    assertEquals(5_200L, live.live().oldestEventTime());
    List<Batch> epoch = new ArrayList<>(out);
    epoch.remove(3);
    for (int i = 0; i < reference.size(); i++) {
      Batch a = reference.get(i);
      Batch b = epoch.get(i);
      assertFalse(b.isLive());
      assertEquals(i, b.batchIndex(), "batch indices run on across the cut");
      assertEquals(a.batchCount(), b.batchCount());
      assertEquals(i < 3 ? 0 : 2, b.windowIndex(), "the rest is a continuation after the live one");
      assertArrayEquals(ids(a), ids(b), "epoch batch " + i + " unchanged");
    }
    assertTrue(epoch.get(reference.size() - 1).lastOfWindow());
    assertFalse(epoch.get(2).lastOfWindow(), "the cut is not the window's end");
    assertEquals(
        0, epoch.get(2).reflectedOffsets().get("train.feed-0"), "nothing past the cut reflected");
  }

  @Test
  void shouldRebuildTheSameInterleavingAfterARestart() {
    Setup s = setup(3, null, -1, 0);
    feed(s, 0, WINDOW);
    s.batcher().drain();
    feedLive(s, 200, 208);
    for (int i = 0; i < 6; i++) {
      stepAll(s, 3);
      s.batcher().drain();
    }
    List<Batch> before = s.out();

    // The trainer published nothing yet: a restarted batcher resends everything, in the same order.
    Setup restarted = setup(TrainerQueue.DEFAULT_CAPACITY, s, -1, 0);
    restarted.batcher().drain();
    List<Batch> after = restarted.out();
    assertEquals(before.size(), after.size());
    for (int i = 0; i < before.size(); i++) {
      Batch a = before.get(i);
      Batch b = after.get(i);
      assertEquals(a.windowIndex(), b.windowIndex(), "batch " + i);
      assertEquals(a.batchIndex(), b.batchIndex(), "batch " + i);
      assertEquals(a.isLive(), b.isLive(), "batch " + i);
      assertArrayEquals(ids(a), ids(b), "batch " + i);
    }
  }

  @Test
  void shouldCutAfterWhatTheResumedTrainerReflectsNotBeforeIt() {
    Setup s = setup(TrainerQueue.DEFAULT_CAPACITY, null, -1, 0);
    feed(s, 0, WINDOW);
    // The trainer published a snapshot after batch 5 of window 0, then the process died.
    Setup restarted = setup(3, s, 0, 5);
    feedLive(restarted, 200, 208); // seals before the restored window was forwarded again
    for (int i = 0; i < 6; i++) {
      restarted.batcher().drain();
      stepAll(restarted, 3);
    }
    List<Batch> out = restarted.out();
    int liveAt = -1;
    for (int i = 0; i < out.size(); i++) {
      if (out.get(i).isLive()) {
        liveAt = i;
      }
    }
    assertEquals(5, liveAt, "the live window follows the five batches the trainer reflects");
    Batch live = out.get(liveAt);
    assertEquals(1, live.windowIndex(), "after the resume position: the trainer applies it");
    Batch next = out.get(liveAt + 1);
    assertEquals(2, next.windowIndex());
    assertEquals(5, next.batchIndex(), "no batch the trainer reflects is handed over twice");
    assertEquals(
        WINDOW, out.stream().filter(b -> !b.isLive()).mapToInt(Batch::size).sum(), "each once");
  }

  @Test
  void shouldKeepFewEpochBatchesInFlightWhileLiveRecordsComeAndAllOfThemAfter() {
    int epochBatches = 4 * 13;
    Setup quiet = setup(TrainerQueue.DEFAULT_CAPACITY, null, -1, 0);
    feed(quiet, 0, 4 * WINDOW);
    quiet.batcher().drain();
    assertEquals(epochBatches, quiet.out().size(), "a replay alone may fill the trainer's queue");

    Setup s = setup(TrainerQueue.DEFAULT_CAPACITY, null, -1, 0);
    feedLive(s, 200, 208);
    s.batcher().drain();
    assertEquals(1, s.out().size());
    stepAll(s, 1);
    feed(s, 0, 4 * WINDOW);
    s.batcher().drain();
    assertEquals(
        1 + MiniBatcher.MAX_LIVE_LOOKAHEAD_BATCHES,
        s.out().size(),
        "a live window that seals now waits for these epoch batches only");
    stepAll(s, 5);
    s.batcher().drain();
    assertEquals(1 + MiniBatcher.MAX_LIVE_LOOKAHEAD_BATCHES + 5, s.out().size());

    s.context().setCurrentSystemTimeMs(1_000L + MiniBatcher.LIVE_RECENT_MS);
    s.batcher().drain();
    assertEquals(1 + epochBatches, s.out().size(), "no live record lately: the whole queue");
  }

  @Test
  void shouldKeepLessEpochWorkInFlightForLiveRecordsWhenStepsAreSlow() {
    Setup s = setup(TrainerQueue.DEFAULT_CAPACITY, null, -1, 0);
    feedLive(s, 200, 208);
    s.batcher().drain();
    assertEquals(1, s.out().size());
    // A step of 100 ms: 250 ms of epoch work in flight would be 2.5 batches; the floor is 4.
    stepAll(s, 1, 100_000_000L);
    assertEquals(MiniBatcher.MIN_LIVE_LOOKAHEAD_BATCHES, s.batcher().liveLookaheadBatches());
    feed(s, 0, 4 * WINDOW);
    s.batcher().drain();
    assertEquals(1 + MiniBatcher.MIN_LIVE_LOOKAHEAD_BATCHES, s.out().size());

    // Steps of 10 ms since: the moving mean comes down, and the lookahead grows with it.
    stepAll(s, MiniBatcher.MIN_LIVE_LOOKAHEAD_BATCHES, 10_000_000L);
    for (int i = 0; i < 100; i++) {
      s.queue().added();
      s.queue().stepped(null, 10_000_000L);
    }
    assertEquals(25, s.batcher().liveLookaheadBatches(), "250 ms of 10 ms steps");
  }

  private static List<Batch> epochOnly() {
    Setup s = setup(TrainerQueue.DEFAULT_CAPACITY, null, -1, 0);
    feed(s, 0, WINDOW);
    s.batcher().drain();
    return s.out();
  }

  private static void feed(Setup s, int from, int to) {
    for (int i = from; i < to; i++) {
      RecordHeaders headers = new RecordHeaders();
      headers.add(FeedHeaders.EPOCH, "1".getBytes(StandardCharsets.UTF_8));
      s.log()
          .send(
              s.batcher(),
              s.context(),
              new Record<>(null, String.valueOf(i).getBytes(StandardCharsets.UTF_8), 0L, headers));
    }
  }

  /** Live records as the live tail appends them, produced at 5,000 + i on the dataset topic. */
  private static void feedLive(Setup s, int from, int to) {
    for (int i = from; i < to; i++) {
      RecordHeaders headers = new RecordHeaders();
      headers.add(FeedHeaders.LIVE, FeedHeaders.liveSource("images.train-0", i));
      headers.add(FeedHeaders.PRODUCED, FeedHeaders.produced(5_000L + i));
      s.log()
          .send(
              s.batcher(),
              s.context(),
              // The feed's own timestamp is its append time, later: the header wins.
              new Record<>(
                  null, String.valueOf(i).getBytes(StandardCharsets.UTF_8), 99_000L, headers));
    }
  }

  private static Batch copy(Batch b) {
    return new Batch(
        b.windowIndex(),
        b.batchIndex(),
        b.batchCount(),
        b.epoch(),
        b.epochEnd(),
        b.size(),
        Arrays.copyOf(b.pixels(), b.size() * SHAPE.size()),
        Arrays.copyOf(b.labels(), b.size()),
        b.feedPartition(),
        b.windowFirstOffset(),
        b.windowEndOffset(),
        b.live());
  }

  private static int[] ids(Batch b) {
    int[] ids = new int[b.size()];
    for (int i = 0; i < b.size(); i++) {
      ids[i] = Math.round(b.pixels()[i * SHAPE.size()] * 255f);
    }
    return ids;
  }
}
