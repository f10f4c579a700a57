package io.streamtrain.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ReplayerIT {
  private static final int SOURCE_PARTITIONS = 3;
  private static final long BASE_TIMESTAMP = 1_700_000_000_000L;

  @RegisterExtension static final EmbeddedKafkaExtension kafka = new EmbeddedKafkaExtension();

  @Test
  void shouldCopyEveryRecordOncePerEpochInPartitionOrderFollowedByMarkers() throws Exception {
    String source = newTopic(SOURCE_PARTITIONS);
    String feed = newTopic(1);
    produceLabeledRecords(source, 1_000);

    Replayer.Summary summary = replayer(source, feed).replay(2);

    assertEquals(2_000, summary.records());
    assertEquals(1_000, summary.recordsPerEpoch());
    List<ConsumerRecord<byte[], byte[]>> fed = readAll(feed, 0, 2_002);
    List<String> expectedKeys = new ArrayList<>();
    for (int epoch = 1; epoch <= 2; epoch++) {
      for (int p = 0; p < SOURCE_PARTITIONS; p++) {
        for (int i = p; i < 1_000; i += SOURCE_PARTITIONS) {
          expectedKeys.add("img-" + i + "@" + epoch);
        }
      }
      expectedKeys.add("marker@" + epoch + "#1000");
    }
    List<String> actualKeys = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : fed) {
      int epoch = FeedHeaders.epoch(r.headers()).orElseThrow();
      if (FeedHeaders.isEpochEnd(r.headers())) {
        assertNull(r.key());
        assertNull(r.value());
        actualKeys.add("marker@" + epoch + "#" + FeedHeaders.count(r.headers()).orElseThrow());
      } else {
        actualKeys.add(new String(r.key(), StandardCharsets.UTF_8) + "@" + epoch);
      }
    }
    assertEquals(expectedKeys, actualKeys);
  }

  @Test
  void shouldKeepKeyValueTimestampAndHeadersOfEachRecord() throws Exception {
    String source = newTopic(SOURCE_PARTITIONS);
    String feed = newTopic(1);
    produceLabeledRecords(source, 30);

    replayer(source, feed).replay(1);

    for (ConsumerRecord<byte[], byte[]> r : readAll(feed, 0, 31)) {
      if (FeedHeaders.isEpochEnd(r.headers())) {
        continue;
      }
      int i = Integer.parseInt(new String(r.key(), StandardCharsets.UTF_8).substring(4));
      assertArrayEquals(imageLikeValue(i, 800), r.value());
      assertEquals(BASE_TIMESTAMP + i, r.timestamp());
      assertArrayEquals(
          ("label-" + i % 10).getBytes(StandardCharsets.UTF_8),
          r.headers().lastHeader("source.label").value());
      assertEquals(1, FeedHeaders.epoch(r.headers()).orElseThrow());
    }
  }

  @Test
  void shouldNumberEpochsFromTheGivenFirstEpoch() throws Exception {
    String source = newTopic(1);
    String feed = newTopic(1);
    produceLabeledRecords(source, 5);

    Replayer.Summary summary = replayer(source, feed).replay(3, 2, Replayer.Progress.NONE);

    assertEquals(10, summary.records());
    List<Integer> epochs = new ArrayList<>();
    readAll(feed, 0, 12).forEach(r -> epochs.add(FeedHeaders.epoch(r.headers()).orElseThrow()));
    assertEquals(List.of(3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4), epochs);
  }

  @Test
  void shouldReplayOnlyTheRecordsPresentWhenTheReplayStarted() throws Exception {
    String source = newTopic(SOURCE_PARTITIONS);
    String feed = newTopic(1);
    produceLabeledRecords(source, 300);
    AtomicBoolean appended = new AtomicBoolean();
    List<long[]> progress = new ArrayList<>();

    Replayer.Summary summary =
        replayer(source, feed)
            .replay(
                1,
                2,
                (copied, total) -> {
                  progress.add(new long[] {copied, total});
                  if (appended.compareAndSet(false, true)) {
                    // Partition 2 has not been read yet: these must not enter any epoch.
                    produceTo(source, 2, "late", 10);
                  }
                });

    assertTrue(appended.get());
    assertEquals(600, summary.records());
    assertEquals(600, progress.get(progress.size() - 1)[0]);
    assertEquals(600, progress.get(0)[1]);
    List<ConsumerRecord<byte[], byte[]>> fed = readAll(feed, 0, 602);
    assertTrue(
        fed.stream()
            .noneMatch(
                r ->
                    r.key() != null
                        && new String(r.key(), StandardCharsets.UTF_8).startsWith("late")));
  }

  @Test
  void shouldSayWhichTopicIsMissing() {
    String feed = newTopic(1);
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> replayer("no-such-" + UUID.randomUUID(), feed).replay(1));
    assertTrue(e.getMessage().startsWith("The dataset topic no-such-"), e.getMessage());
    assertTrue(e.getMessage().contains("topics create"), e.getMessage());
  }

  /**
   * Not a timed assertion: prints the rate of replaying one Fashion-MNIST-sized epoch, three times
   * into fresh feeds, because the first run in a JVM also pays for JIT compilation.
   */
  @Test
  void shouldReplayAFashionMnistSizedEpochAndPrintItsRate() throws Exception {
    int count = 60_000;
    String source = newTopic(1);
    long t0 = System.nanoTime();
    produceLabeledRecords(source, count);
    double produceSeconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf(
        "produce: %d records in %.2f s = %.0f records/s%n",
        count, produceSeconds, count / produceSeconds);

    for (int run = 1; run <= 3; run++) {
      String feed = newTopic(1);
      Replayer.Summary summary = replayer(source, feed).replay(1);

      assertEquals(count, summary.records());
      assertEquals(count + 1, endOffset(feed));
      System.out.printf(
          "replay run %d of one epoch: %d records, %.1f MB in %.2f s = %.0f records/s (%.1f"
              + " MB/s)%n",
          run,
          summary.records(),
          summary.bytes() / 1e6,
          summary.seconds(),
          summary.recordsPerSecond(),
          summary.megabytesPerSecond());
    }
  }

  private static Replayer replayer(String source, String feed) {
    return new Replayer(kafka.clientProperties(), kafka.clientProperties(), source, feed);
  }

  private static String newTopic(int partitions) {
    String name = "replay-" + UUID.randomUUID();
    try {
      kafka
          .admin()
          .createTopics(List.of(new NewTopic(name, partitions, (short) 1)))
          .all()
          .get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("cannot create " + name, e);
    }
    return name;
  }

  /** Record i: key "img-i", partition i % partitions, a Fashion-MNIST-sized value, a header. */
  private static void produceLabeledRecords(String topic, int count) throws Exception {
    int partitions =
        kafka
            .admin()
            .describeTopics(List.of(topic))
            .allTopicNames()
            .get()
            .get(topic)
            .partitions()
            .size();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps())) {
      for (int i = 0; i < count; i++) {
        RecordHeaders headers = new RecordHeaders();
        headers.add("source.label", ("label-" + i % 10).getBytes(StandardCharsets.UTF_8));
        producer.send(
            new ProducerRecord<>(
                topic,
                i % partitions,
                BASE_TIMESTAMP + i,
                ("img-" + i).getBytes(StandardCharsets.UTF_8),
                imageLikeValue(i, 800),
                headers));
      }
      producer.flush();
    }
  }

  private static void produceTo(String topic, int partition, String keyPrefix, int count) {
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps())) {
      for (int i = 0; i < count; i++) {
        producer
            .send(
                new ProducerRecord<>(
                    topic,
                    partition,
                    (keyPrefix + i).getBytes(StandardCharsets.UTF_8),
                    new byte[8]))
            .get(30, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      throw new IllegalStateException("cannot produce to " + topic, e);
    }
  }

  /**
   * About what an Avro LabeledImage of a 28x28 Fashion-MNIST image weighs: a few fields, then 784
   * pixels that are zero around the object and textured inside it, so lz4 gains what it gains on
   * the real data rather than on random noise or on all zeros.
   */
  static byte[] imageLikeValue(int i, int size) {
    Random random = new Random(i);
    byte[] value = new byte[size];
    random.nextBytes(value);
    int pixels = Math.min(784, size - 16);
    for (int p = 0; p < pixels; p++) {
      int row = p / 28;
      int col = p % 28;
      boolean inside = row >= 4 && row < 24 && col >= 6 && col < 22;
      value[16 + p] = inside ? (byte) (128 + random.nextInt(64)) : 0;
    }
    return value;
  }

  private static Properties producerProps() {
    Properties props = kafka.clientProperties();
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 10);
    return props;
  }

  private static long endOffset(String topic) {
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      return consumer.endOffsets(List.of(tp)).get(tp);
    }
  }

  private static List<ConsumerRecord<byte[], byte[]>> readAll(
      String topic, int partition, int expected) {
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps())) {
      TopicPartition tp = new TopicPartition(topic, partition);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= expected;
              });
      assertEquals(expected, records.size(), "no more records than expected");
      assertEquals(expected, consumer.endOffsets(List.of(tp)).get(tp));
    }
    return records;
  }

  private static Properties consumerProps() {
    Properties props = kafka.clientProperties();
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return props;
  }
}
