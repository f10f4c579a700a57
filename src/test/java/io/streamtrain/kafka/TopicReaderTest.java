package io.streamtrain.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** TopicReader's catch-up loop on a MockConsumer: where it stops, and when it gives up. */
class TopicReaderTest {
  private static final TopicPartition P0 = new TopicPartition("t", 0);
  private static final TopicPartition P1 = new TopicPartition("t", 1);
  private final MockConsumer<byte[], byte[]> consumer =
      new MockConsumer<>(OffsetResetStrategy.EARLIEST);
  private final List<String> seen = new ArrayList<>();

  @AfterEach
  void close() {
    consumer.close();
  }

  private void assignFromZero(Map<TopicPartition, Long> ends) {
    consumer.assign(ends.keySet());
    consumer.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
    consumer.updateEndOffsets(ends);
    consumer.seekToBeginning(ends.keySet());
  }

  private void add(TopicPartition tp, long offset) {
    consumer.addRecord(
        new ConsumerRecord<>(tp.topic(), tp.partition(), offset, null, bytes(tp + "@" + offset)));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  private void visit(ConsumerRecord<byte[], byte[]> r) {
    seen.add(new String(r.value(), java.nio.charset.StandardCharsets.UTF_8));
  }

  @Test
  void shouldHandEveryRecordOfEveryPartitionUpToItsEnd() {
    assignFromZero(Map.of(P0, 2L, P1, 1L));
    add(P0, 0);
    add(P0, 1);
    add(P1, 0);

    TopicReader.catchUp(consumer, List.of(P0, P1), Duration.ofSeconds(30), this::visit);

    assertEquals(3, seen.size(), seen.toString());
    assertTrue(seen.containsAll(List.of("t-0@0", "t-0@1", "t-1@0")), seen.toString());
    assertEquals(2L, consumer.position(P0));
    assertEquals(1L, consumer.position(P1));
  }

  @Test
  void shouldReturnAtOnceWhenEveryPartitionIsAtItsEnd() {
    assignFromZero(Map.of(P0, 0L, P1, 0L));

    TopicReader.catchUp(consumer, List.of(P0, P1), Duration.ofSeconds(30), this::visit);

    assertEquals(List.of(), seen);
  }

  @Test
  void shouldNameThePartitionThatDoesNotAdvance() {
    assignFromZero(Map.of(P0, 1L, P1, 3L));
    add(P0, 0); // partition 1 claims three records but none ever arrives

    TopicReader.StalledException e =
        assertThrows(
            TopicReader.StalledException.class,
            () -> TopicReader.catchUp(consumer, List.of(P0, P1), Duration.ZERO, this::visit));

    assertTrue(e.getMessage().contains("t-1 at offset 0 of 3"), e.getMessage());
    assertTrue(!e.getMessage().contains("t-0"), "partition 0 reached its end: " + e.getMessage());
    assertEquals(List.of("t-0@0"), seen);
  }
}
