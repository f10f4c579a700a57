package io.streamtrain.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;

/**
 * Replays a dataset topic into the training feed for N epochs: the core of {@code streamtrain
 * replay}. Records are copied as raw bytes (no Avro decoding) with their key, value, timestamp and
 * headers, plus {@link FeedHeaders#EPOCH}; each epoch ends with one marker per feed partition.
 *
 * <p>The source's end offsets are taken once at the start, so every epoch holds the same records
 * even while producers keep appending. Order is deterministic: source partition 0 in offset order,
 * then partition 1, and so on, so that batch composition downstream never depends on poll timing.
 * Records go to an explicit feed partition (key hash as Kafka's default partitioner computes it, or
 * the source partition for null keys), never to the producer's sticky choice.
 */
public final class Replayer {
  /** Receives the number of records copied so far and the total the replay will copy. */
  @FunctionalInterface
  public interface Progress {
    void update(long copied, long total);

    Progress NONE = (copied, total) -> {};
  }

  /**
   * What a replay did. {@code records} counts data records, not markers; {@code seconds} is the
   * copy, from the first poll to the last acknowledged write, and {@code connectSeconds} what came
   * before it (creating the clients, metadata, offsets), a fixed cost whatever the dataset's size.
   */
  public record Summary(
      int firstEpoch,
      int epochs,
      long recordsPerEpoch,
      long records,
      long bytes,
      double seconds,
      double connectSeconds) {
    public double recordsPerSecond() {
      return seconds > 0 ? records / seconds : 0;
    }

    public double megabytesPerSecond() {
      return seconds > 0 ? bytes / seconds / 1e6 : 0;
    }
  }

  /** How long a replay waits for the broker to deliver the next records before giving up. */
  private static final Duration STALL_TIMEOUT = Duration.ofSeconds(60);

  private static final Duration POLL_TIMEOUT = Duration.ofMillis(500);

  private final Properties producerProps;
  private final Properties consumerProps;
  private final String sourceTopic;
  private final String feedTopic;

  /**
   * @param producerProps base client properties (bootstrap, security) for the feed producer; the
   *     replay's tuning defaults apply where these do not say otherwise
   * @param consumerProps base client properties for the dataset consumer
   */
  public Replayer(
      Properties producerProps, Properties consumerProps, String sourceTopic, String feedTopic) {
    if (sourceTopic == null || sourceTopic.isBlank() || feedTopic == null || feedTopic.isBlank()) {
      throw new IllegalArgumentException("Replay needs a source topic and a feed topic");
    }
    if (sourceTopic.equals(feedTopic)) {
      throw new IllegalArgumentException(
          "Cannot replay topic " + sourceTopic + " into itself: choose a different feed topic");
    }
    this.producerProps = producerConfig(producerProps);
    this.consumerProps = consumerConfig(consumerProps);
    this.sourceTopic = sourceTopic;
    this.feedTopic = feedTopic;
  }

  /** Replays epochs 1..{@code epochs}. */
  public Summary replay(int epochs) {
    return replay(1, epochs, Progress.NONE);
  }

  /** Replays epochs {@code firstEpoch}..{@code firstEpoch + epochs - 1}. */
  public Summary replay(int firstEpoch, int epochs, Progress progress) {
    if (epochs < 1) {
      throw new IllegalArgumentException("--epochs must be at least 1, got " + epochs);
    }
    if (firstEpoch < 1) {
      throw new IllegalArgumentException("The first epoch must be at least 1, got " + firstEpoch);
    }
    long start = System.nanoTime();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps);
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps)) {
      List<TopicPartition> sources = partitions(consumer, sourceTopic, "dataset");
      int feedPartitions = partitions(consumer, feedTopic, "feed").size();
      Map<TopicPartition, Long> begin = consumer.beginningOffsets(sources);
      Map<TopicPartition, Long> end = consumer.endOffsets(sources);
      long perEpochUpperBound = 0;
      for (TopicPartition tp : sources) {
        perEpochUpperBound += end.get(tp) - begin.get(tp);
      }
      producer.partitionsFor(feedTopic); // the producer's metadata, before the clock
      long copyStart = System.nanoTime();
      Copier copier =
          new Copier(consumer, producer, feedPartitions, perEpochUpperBound * epochs, progress);
      progress.update(0, perEpochUpperBound * epochs); // rates shown count from here
      long recordsPerEpoch = 0;
      for (int epoch = firstEpoch; epoch < firstEpoch + epochs; epoch++) {
        long[] perFeedPartition = new long[feedPartitions];
        RecordHeader epochHeader = new RecordHeader(FeedHeaders.EPOCH, FeedHeaders.utf8(epoch));
        for (TopicPartition tp : sources) {
          copier.copy(tp, begin.get(tp), end.get(tp), epochHeader, perFeedPartition);
        }
        long epochCount = 0;
        for (int p = 0; p < feedPartitions; p++) {
          RecordHeaders headers = new RecordHeaders();
          headers.add(FeedHeaders.MARKER, FeedHeaders.utf8Text(FeedHeaders.EPOCH_END));
          headers.add(epochHeader);
          headers.add(FeedHeaders.COUNT, FeedHeaders.utf8(perFeedPartition[p]));
          producer.send(new ProducerRecord<>(feedTopic, p, null, null, null, headers), copier);
          epochCount += perFeedPartition[p];
        }
        recordsPerEpoch = epochCount;
      }
      producer.flush();
      copier.throwIfFailed();
      double seconds = (System.nanoTime() - copyStart) / 1e9;
      return new Summary(
          firstEpoch,
          epochs,
          recordsPerEpoch,
          copier.records,
          copier.bytes,
          seconds,
          (copyStart - start) / 1e9);
    } catch (KafkaException e) {
      throw new IllegalStateException(
          "Replay of " + sourceTopic + " into " + feedTopic + " failed: " + e.getMessage(), e);
    }
  }

  private static List<TopicPartition> partitions(
      KafkaConsumer<byte[], byte[]> consumer, String topic, String role) {
    List<PartitionInfo> infos = consumer.partitionsFor(topic);
    if (infos == null || infos.isEmpty()) {
      throw new IllegalStateException(
          "The "
              + role
              + " topic "
              + topic
              + " does not exist (create the topics with: java -jar target/streamtrain.jar topics"
              + " create)");
    }
    List<TopicPartition> partitions = new ArrayList<>();
    for (PartitionInfo info : infos) {
      partitions.add(new TopicPartition(topic, info.partition()));
    }
    partitions.sort(Comparator.comparingInt(TopicPartition::partition));
    return partitions;
  }

  /** Copies one source partition range at a time; also the producer callback of every send. */
  private final class Copier implements Callback {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<byte[], byte[]> producer;
    private final int feedPartitions;
    private final long total;
    private final Progress progress;
    private final AtomicReference<Exception> sendFailure = new AtomicReference<>();
    private long records;
    private long bytes;

    Copier(
        KafkaConsumer<byte[], byte[]> consumer,
        KafkaProducer<byte[], byte[]> producer,
        int feedPartitions,
        long total,
        Progress progress) {
      this.consumer = consumer;
      this.producer = producer;
      this.feedPartitions = feedPartitions;
      this.total = total;
      this.progress = progress;
    }

    /**
     * Copies [from, to) of one source partition. A reader thread polls and decompresses while this
     * thread sends, so reading and writing overlap; the queue between them keeps the order.
     */
    void copy(
        TopicPartition tp, long from, long to, RecordHeader epochHeader, long[] perFeedPartition) {
      if (from >= to) {
        return;
      }
      consumer.assign(List.of(tp));
      consumer.seek(tp, from);
      BlockingQueue<List<ConsumerRecord<byte[], byte[]>>> chunks = new ArrayBlockingQueue<>(32);
      AtomicReference<RuntimeException> readFailure = new AtomicReference<>();
      Thread reader =
          new Thread(
              () -> {
                try {
                  read(tp, to, chunks);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                } catch (RuntimeException e) {
                  readFailure.set(e);
                } finally {
                  try {
                    chunks.put(List.of()); // end of range
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                }
              },
              "streamtrain-replay-reader");
      reader.setDaemon(true);
      reader.start();
      try {
        while (true) {
          List<ConsumerRecord<byte[], byte[]>> chunk = chunks.take();
          if (chunk.isEmpty()) {
            break;
          }
          throwIfFailed();
          for (ConsumerRecord<byte[], byte[]> r : chunk) {
            send(r, epochHeader, perFeedPartition, tp.partition());
          }
          progress.update(records, total);
        }
        reader.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Replay interrupted", e);
      } finally {
        if (reader.isAlive()) { // this thread failed: stop the reader before the consumer closes
          reader.interrupt();
          try {
            reader.join(5_000);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      }
      if (readFailure.get() != null) {
        throw readFailure.get();
      }
    }

    /** On the reader thread: polls [position, to) into chunks of records to copy. */
    private void read(
        TopicPartition tp, long to, BlockingQueue<List<ConsumerRecord<byte[], byte[]>>> chunks)
        throws InterruptedException {
      long lastProgress = System.nanoTime();
      while (consumer.position(tp) < to && sendFailure.get() == null) {
        ConsumerRecords<byte[], byte[]> batch = consumer.poll(POLL_TIMEOUT);
        if (batch.isEmpty()) {
          if (System.nanoTime() - lastProgress > STALL_TIMEOUT.toNanos()) {
            throw new IllegalStateException(
                "Replay stalled: no records from "
                    + tp
                    + " at offset "
                    + consumer.position(tp)
                    + " for "
                    + STALL_TIMEOUT.toSeconds()
                    + " s (is the broker still running?)");
          }
          continue;
        }
        lastProgress = System.nanoTime();
        List<ConsumerRecord<byte[], byte[]>> chunk = new ArrayList<>(batch.count());
        for (ConsumerRecord<byte[], byte[]> r : batch.records(tp)) {
          if (r.offset() >= to) {
            break; // Appended after the replay started: not part of this dataset snapshot.
          }
          if (!FeedHeaders.isEpochEnd(r.headers())) { // a marker of an earlier replay is not data
            chunk.add(r);
          }
        }
        if (!chunk.isEmpty()) {
          chunks.put(chunk);
        }
      }
    }

    private void send(
        ConsumerRecord<byte[], byte[]> r,
        RecordHeader epochHeader,
        long[] perFeedPartition,
        int sourcePartition) {
      RecordHeaders headers = new RecordHeaders(r.headers().toArray());
      headers.remove(FeedHeaders.EPOCH);
      headers.add(epochHeader);
      int partition = feedPartition(r.key(), sourcePartition);
      producer.send(
          new ProducerRecord<>(feedTopic, partition, r.timestamp(), r.key(), r.value(), headers),
          this);
      perFeedPartition[partition]++;
      records++;
      bytes += r.serializedKeySize() + Math.max(0, r.serializedValueSize());
    }

    private int feedPartition(byte[] key, int sourcePartition) {
      if (feedPartitions == 1) {
        return 0;
      }
      return key == null
          ? sourcePartition % feedPartitions
          : Utils.toPositive(Utils.murmur2(key)) % feedPartitions;
    }

    @Override
    public void onCompletion(RecordMetadata m, Exception e) {
      if (e != null) {
        sendFailure.compareAndSet(null, e);
      }
    }

    void throwIfFailed() {
      Exception e = sendFailure.get();
      if (e != null) {
        throw new IllegalStateException(
            "Replay into " + feedTopic + " failed while writing: " + e.getMessage(), e);
      }
    }
  }

  private static Properties producerConfig(Properties base) {
    Properties p = new Properties();
    // Large lz4 batches: replay is a bulk copy, throughput matters, latency does not.
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 10);
    p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 128L * 1024 * 1024);
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 * 1024 * 1024);
    p.put(ProducerConfig.SEND_BUFFER_CONFIG, 1024 * 1024);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "streamtrain-replay");
    p.putAll(base);
    // Not overridable: no duplicates or reordering within an epoch, and raw bytes in and out.
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return p;
  }

  private static Properties consumerConfig(Properties base) {
    Properties p = new Properties();
    p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024);
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 * 1024 * 1024);
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2_000);
    p.put(ConsumerConfig.RECEIVE_BUFFER_CONFIG, 1024 * 1024);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "streamtrain-replay");
    p.putAll(base);
    // Assigned partitions and explicit seeks: the replay never commits offsets.
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return p;
  }
}
