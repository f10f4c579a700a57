package io.streamtrain.training;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.streamtrain.data.ImageShape;
import io.streamtrain.kafka.FeedHeaders;
import io.streamtrain.records.DeadLetters;
import io.streamtrain.records.ExampleDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

/** What the batcher keeps across a restart or a revived task, and what it must not duplicate. */
class MiniBatcherRestartTest {
  private static final ImageShape SHAPE = new ImageShape(1, 1, 1);

  private static final ExampleDecoder DECODER = BatcherFixtures.indexDecoder(SHAPE);

  private static MockProcessorContext<Object, Object> context(KeyValueStore<Long, byte[]> store) {
    MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
    context.setCurrentSystemTimeMs(1_000L);
    context.addStateStore(store);
    return context;
  }

  private final FeedLog log = new FeedLog();

  private MiniBatcher batcher(DeadLetters deadLetters) {
    return new MiniBatcher(
        DECODER,
        1,
        4,
        2,
        Duration.ofSeconds(10),
        deadLetters,
        new StopSignal(),
        TrainerQueue.withoutFeedback(),
        log,
        io.streamtrain.config.LiveWindows.defaults());
  }

  /** The batcher's store on its own, to be handed to one context after another (restarts). */
  private static KeyValueStore<Long, byte[]> newStore() {
    return BatcherFixtures.store(new MockProcessorContext<>());
  }

  /** A batcher counting dead letters afresh, initialised on {@code context}. */
  private MiniBatcher started(MockProcessorContext<Object, Object> context) {
    MiniBatcher batcher = batcher(new DeadLetters(MiniBatcher.DEAD_LETTERS));
    batcher.init(context);
    return batcher;
  }

  private void send(
      MiniBatcher batcher,
      MockProcessorContext<Object, Object> context,
      String value,
      String epochHeader) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(FeedHeaders.EPOCH, epochHeader.getBytes(StandardCharsets.UTF_8));
    log.send(
        batcher, context, new Record<>(null, value.getBytes(StandardCharsets.UTF_8), 0L, headers));
  }

  private static List<Batch> batches(MockProcessorContext<Object, Object> context) {
    return context.forwarded().stream()
        .map(f -> f.record().value())
        .filter(Batch.class::isInstance)
        .map(Batch.class::cast)
        .toList();
  }

  @Test
  void shouldNotDuplicateWindowsWhenTheSameInstanceIsInitialisedAgain() {
    KeyValueStore<Long, byte[]> store = newStore();
    MockProcessorContext<Object, Object> context = context(store);
    MiniBatcher batcher = started(context);
    for (int i = 0; i < 6; i++) {
      send(batcher, context, String.valueOf(i), "1");
    }
    assertEquals(2, batcher.windowsHeld(), "one sealed window of 4, one filling");
    batcher.close();

    // Kafka Streams revives a corrupted task with the same processor instances.
    MockProcessorContext<Object, Object> revived = context(store);
    batcher.init(revived);
    assertEquals(2, batcher.windowsHeld());
    batcher.drain();
    List<Batch> out = batches(revived);
    assertEquals(2, out.size(), "the sealed window once, in two batches of 2");
    assertEquals(0, out.get(0).windowIndex());
  }

  @Test
  void shouldKeepDeadLetterCountsAcrossARestartAndDeadLetterABadEpochHeader() {
    KeyValueStore<Long, byte[]> store = newStore();
    MockProcessorContext<Object, Object> first = context(store);
    MiniBatcher before = started(first);
    send(before, first, "-1", "1");
    send(before, first, "-2", "1");
    send(before, first, "3", "one");
    assertEquals(3, first.forwarded(MiniBatcher.DEAD_LETTERS).size());

    DeadLetters restarted = new DeadLetters(MiniBatcher.DEAD_LETTERS);
    MiniBatcher after = batcher(restarted);
    after.init(context(store));
    assertEquals(
        Map.of("label-out-of-range", 2L, MiniBatcher.BAD_EPOCH_HEADER, 1L), restarted.counts());
  }
}
