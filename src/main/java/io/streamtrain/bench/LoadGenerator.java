package io.streamtrain.bench;

import io.streamtrain.app.Pipeline;
import io.streamtrain.config.Settings;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The open-loop load: one trial sends {@code rate * duration} requests to images.infer on a fixed
 * schedule, waits for their predictions and sums up what the instances and the recorder saw.
 */
final class LoadGenerator implements AutoCloseable {
  private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(15);
  // Trials that only keep the instances busy (warming up, serving a live drain) print nothing.
  private static final Set<String> QUIET_PHASES = Set.of("warm-up", "tail");

  private final Pipeline pipeline;
  private final Requests requests;
  private final PredictionOptions options;
  private ServingSide instances;
  private final PredictionRecorder recorder;
  private final PrintStream err;
  private final KafkaProducer<byte[], byte[]> producer;
  private int nextTrial = 1;

  LoadGenerator(
      Pipeline pipeline,
      Requests requests,
      PredictionOptions options,
      ServingSide instances,
      PredictionRecorder recorder,
      PrintStream err) {
    this.pipeline = pipeline;
    this.requests = requests;
    this.options = options;
    this.instances = instances;
    this.recorder = recorder;
    this.err = err;
    Properties producerProps = requestProducerProps(pipeline.settings());
    producerProps.putAll(options.requestConfig());
    this.producer = new KafkaProducer<>(producerProps);
  }

  /**
   * Requests as a busy client sends them: acks=all and idempotence (the producer defaults), no
   * compression (raw 28x28 pixels barely compress and the broker is local) and a 1 ms linger, for
   * fewer, fuller produce requests and fetch responses at a little more latency at low rates;
   * --request-config linger.ms=0 shows the other side (see README, Benchmarks).
   */
  private static Properties requestProducerProps(Settings settings) {
    Properties props = settings.producerProps();
    props.put(ProducerConfig.LINGER_MS_CONFIG, "1");
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(64 * 1024));
    return props;
  }

  /** From now on the trials are served by {@code side}. */
  void servedBy(ServingSide side) {
    this.instances = side;
  }

  /** Sends {@code rate * duration} requests on schedule and waits for their predictions. */
  Trial trial(String phase, double rate, Duration duration) throws Exception {
    int number = nextTrial++;
    long count = Math.round(rate * duration.toNanos() / 1e9);
    if (count > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("--rate x --duration is too many requests for one run");
    }
    double intervalNanos = 1e9 / rate;
    long startNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
    long startWallMs = System.currentTimeMillis() + 20;
    TrialRecorder state = new TrialRecorder((int) count, startNanos, intervalNanos);
    recorder.register(number, state);
    long batchesBefore = instances.batches();
    long requestsBefore = instances.answered();
    long deadBefore = recorder.deadLetters();
    long strayBefore = recorder.strayPredictions();
    long cpuBefore = processCpuNanos();
    long versionBefore = instances.minServedVersion();
    long swapsBefore = instances.modelSwaps();
    AtomicLong sendErrors = new AtomicLong();
    String topic = pipeline.names().imagesInfer();
    byte[] prefix = ("t" + number + "-").getBytes(StandardCharsets.US_ASCII);
    List<byte[]> values = requests.values();
    for (int i = 0; i < count; i++) {
      long due = state.due(i);
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      byte[] key = key(prefix, i);
      // The record's timestamp is its due time too, so consumers can measure the same way.
      long timestamp = startWallMs + (due - startNanos) / 1_000_000;
      producer.send(
          new ProducerRecord<>(topic, null, timestamp, key, values.get(i % values.size())),
          (metadata, e) -> {
            if (e != null) {
              sendErrors.incrementAndGet();
            }
          });
    }
    long sendEnd = System.nanoTime();
    producer.flush();
    long drainDeadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
    while (state.distinct() < count - sendErrors.get() && System.nanoTime() < drainDeadline) {
      instances.throwIfFailed();
      recorder.throwIfFailed();
      TimeUnit.MILLISECONDS.sleep(10);
    }
    // Late duplicates of the last requests arrive within a poll or two.
    TimeUnit.MILLISECONDS.sleep(200);
    Trial result;
    synchronized (state) {
      long distinct = state.distinct();
      long lost = count - distinct;
      double seconds = Math.max(state.lastArrival - startNanos, 1) / 1e9;
      long batches = instances.batches() - batchesBefore;
      long answered = instances.answered() - requestsBefore;
      long errors =
          sendErrors.get()
              + (recorder.deadLetters() - deadBefore)
              + (recorder.strayPredictions() - strayBefore);
      Latency latency = Latency.of(state.histogram);
      double cpu =
          100.0
              * (processCpuNanos() - cpuBefore)
              / Math.max(System.nanoTime() - startNanos, 1)
              / Runtime.getRuntime().availableProcessors();
      boolean sustained =
          lost == 0 && errors == 0 && latency.p99() <= options.p99TargetMs() && distinct > 0;
      result =
          new Trial(
              phase,
              rate,
              count / Math.max((sendEnd - startNanos) / 1e9, 1e-9),
              distinct / seconds,
              seconds,
              count,
              distinct,
              lost,
              state.duplicates,
              errors,
              latency,
              batches == 0 ? 0 : (double) answered / batches,
              instances.largestBatch(),
              versionBefore,
              instances.maxServedVersion(),
              instances.modelSwaps() - swapsBefore,
              cpu,
              loadAverage(),
              sustained);
    }
    // Kept registered: a prediction arriving after the drain still counts for its own trial.
    if (!QUIET_PHASES.contains(phase)) {
      err.printf(
          Locale.ROOT,
          "%-8s %7.0f req/s: achieved %7.0f/s, p50 %6.2f ms, p99 %7.2f ms, max %7.2f ms,"
              + " lost %d, dup %d, errors %d, mean batch %.1f, cpu %.0f%%, load %.1f%s%n",
          phase,
          rate,
          result.achievedRate(),
          result.latency().p50(),
          result.latency().p99(),
          result.latency().max(),
          result.lost(),
          result.duplicates(),
          result.errors(),
          result.meanBatch(),
          result.cpuPercent(),
          result.loadAverage(),
          result.sustained() ? "" : "  (not sustained)");
    }
    return result;
  }

  private static byte[] key(byte[] prefix, int seq) {
    String digits = Integer.toString(seq);
    byte[] key = new byte[prefix.length + digits.length()];
    System.arraycopy(prefix, 0, key, 0, prefix.length);
    for (int i = 0; i < digits.length(); i++) {
      key[prefix.length + i] = (byte) digits.charAt(i);
    }
    return key;
  }

  private static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return 0;
  }

  private static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }
}
