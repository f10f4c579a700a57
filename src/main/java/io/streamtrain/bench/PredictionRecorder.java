package io.streamtrain.bench;

import io.streamtrain.app.Errors;
import io.streamtrain.app.Pipeline;
import io.streamtrain.config.Settings;
import io.streamtrain.kafka.PollingThreads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/**
 * The consumer of predictions and dead letters: on its own thread, it hands each prediction to the
 * {@link TrialRecorder} of the trial its key names ({@code t<trial>-<seq>}) and counts the rest.
 */
final class PredictionRecorder implements AutoCloseable {
  private final Pipeline pipeline;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Map<Integer, TrialRecorder> trialsByNumber = new ConcurrentHashMap<>();
  private final AtomicLong strayPredictions = new AtomicLong();
  private final AtomicLong deadLetters = new AtomicLong();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final Thread thread;

  PredictionRecorder(Pipeline pipeline) {
    this.pipeline = pipeline;
    this.consumer = new KafkaConsumer<>(consumerProps(pipeline.settings()));
    this.thread = new Thread(this::consume, "bench-prediction-consumer");
    this.thread.setDaemon(true);
  }

  private static Properties consumerProps(Settings settings) {
    Properties props = settings.consumerProps(null);
    props.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, "1");
    props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "50");
    return props;
  }

  /** Starts reading at the topics' current ends, resolved before any request is sent. */
  void start() {
    List<TopicPartition> partitions = new ArrayList<>();
    for (String topic : List.of(pipeline.names().predictions(), pipeline.names().imagesDlq())) {
      consumer
          .partitionsFor(topic, Duration.ofSeconds(30))
          .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
    }
    consumer.assign(partitions);
    consumer.seekToEnd(partitions);
    partitions.forEach(consumer::position); // resolve the end now, before any request is sent
    thread.start();
  }

  /**
   * Answers keyed with trial {@code number} go to {@code trial} from now on. Kept registered: a
   * prediction arriving after the trial's drain still counts for its own trial.
   */
  void register(int number, TrialRecorder trial) {
    trialsByNumber.put(number, trial);
  }

  /** Predictions whose key names no known trial or request. */
  long strayPredictions() {
    return strayPredictions.get();
  }

  /** Records on the dead-letter topic. */
  long deadLetters() {
    return deadLetters.get();
  }

  void throwIfFailed() {
    if (failure.get() != null) {
      throw new IllegalStateException(
          "The benchmark's prediction consumer failed: " + Errors.oneLine(failure.get()),
          failure.get());
    }
  }

  private void consume() {
    String predictions = pipeline.names().predictions();
    try {
      while (!Thread.currentThread().isInterrupted()) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
        long now = System.nanoTime();
        for (ConsumerRecord<byte[], byte[]> r : records) {
          if (!r.topic().equals(predictions)) {
            deadLetters.incrementAndGet();
            continue;
          }
          byte[] key = r.key();
          int dash = key == null ? -1 : indexOf(key, (byte) '-');
          long trialNumber = dash < 1 ? -1 : parse(key, 1, dash);
          long seq = dash < 1 ? -1 : parse(key, dash + 1, key.length);
          TrialRecorder trial = trialNumber < 0 ? null : trialsByNumber.get((int) trialNumber);
          if (trial == null || seq < 0 || !trial.arrived(seq, now)) {
            strayPredictions.incrementAndGet();
          }
        }
      }
    } catch (WakeupException e) {
      // close() stops the consumer
    } catch (RuntimeException e) {
      failure.set(e);
    }
  }

  private static int indexOf(byte[] bytes, byte b) {
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    return -1;
  }

  /** Decimal digits in bytes[from, to), or -1 if there are none or another byte. */
  private static long parse(byte[] bytes, int from, int to) {
    if (from >= to) {
      return -1;
    }
    long v = 0;
    for (int i = from; i < to; i++) {
      int d = bytes[i] - '0';
      if (d < 0 || d > 9) {
        return -1;
      }
      v = v * 10 + d;
    }
    return v;
  }

  @Override
  public void close() {
    if (PollingThreads.stop(consumer::wakeup, thread, Duration.ofSeconds(5))) {
      consumer.close(Duration.ofSeconds(5));
    }
  }
}
