package io.streamtrain.app;

import io.streamtrain.data.LabeledDataset;
import io.streamtrain.data.LabeledImages;
import io.streamtrain.metrics.TrainingListener;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.MetricKind;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.TrainingMetric;
import io.streamtrain.snapshots.ModelHolder;
import io.streamtrain.snapshots.Resume;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntUnaryOperator;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Online learning measured end to end on one pipeline: a trainer following the dataset topic (live
 * tail), a predictor hot-swapping its versions, and an open-loop producer of labeled events at a
 * fixed rate. Freshness of an event is exact: the time from its record timestamp to the moment the
 * predictor started serving the first version whose snapshot reflects the event's feed offset.
 * {@code bench --live} and {@code demo --live} run on it.
 */
public final class LiveSession implements AutoCloseable {
  /** One line of progress: what happened in the last interval. */
  public record Progress(
      double seconds,
      long produced,
      long servedVersion,
      double freshnessP50Ms,
      double freshnessP99Ms,
      double prequentialAccuracy) {}

  /** The figures of a finished stream. */
  public record Result(
      double rate,
      double achievedRate,
      long produced,
      long lost,
      long deadLetters,
      double[] freshnessMs, // p50, p90, p99, max
      double prequentialAccuracy,
      long snapshots,
      long swaps) {}

  private final Pipeline pipeline;
  private final TrainingRun trainer;
  private final PredictionRun predictor;
  private final long startMillis = System.currentTimeMillis();
  // Event id -> production time, and the live window by window prequential accuracy.
  private final Map<String, Long> produced = new ConcurrentHashMap<>();
  private final List<TrainingMetric> prequential = new CopyOnWriteArrayList<>();
  private final FreshnessLedger ledger;
  private final AtomicReference<Exception> producerFailure = new AtomicReference<>();
  private final AtomicLong acked = new AtomicLong();
  private volatile boolean closed;
  private Thread requestLoad;
  // The predictor whose swaps freshness is measured on: this session's own unless measureOn.
  private volatile PredictionRun servedBy;
  private volatile ModelHolder.SwapObserver alsoOnSwap = (version, at, live) -> {};

  private LiveSession(Pipeline pipeline, TrainingListener also) {
    this.pipeline = pipeline;
    this.trainer =
        new TrainingRun(
            pipeline,
            Resume.fromScratch(),
            new TrainingListener() {
              @Override
              public void onMetric(TrainingMetric metric) {
                if (metric.getKind() == MetricKind.PREQUENTIAL) {
                  prequential.add(metric);
                }
                also.onMetric(metric);
              }

              @Override
              public void onSnapshot(ModelSnapshot snapshot, long encodeNanos) {
                ledger.published(snapshot);
                also.onSnapshot(snapshot, encodeNanos);
              }
            },
            true);
    this.predictor = new PredictionRun(pipeline, PredictionRun.Options.defaults());
    this.servedBy = predictor;
    this.ledger = new FreshnessLedger(pipeline);
  }

  /**
   * Starts the trainer with its live tail, from scratch; {@link #startPredictor} follows once a
   * first version exists (produce some events first).
   */
  public static LiveSession start(Pipeline pipeline, TrainingListener also) throws Exception {
    PredictionRun.preferOneTorchThread();
    LiveSession session = new LiveSession(pipeline, also);
    session.trainer.start();
    return session;
  }

  /**
   * Starts the predictor once the trainer published a first version (bounded), and a light load of
   * prediction requests ({@value #REQUESTS_PER_SECOND}/s): a version starts serving when a request
   * batch first uses it.
   */
  public void startPredictor(Duration timeout, LabeledDataset requests)
      throws InterruptedException {
    predictor.observeSwaps(
        (version, at, live) -> {
          ledger.swapped(version, at);
          alsoOnSwap.swapped(version, at, live);
        });
    predictor.start(timeout);
    requestLoad = new Thread(() -> sendRequests(requests), "live-requests");
    requestLoad.setDaemon(true);
    requestLoad.start();
  }

  private static final int REQUESTS_PER_SECOND = 200;

  /**
   * Also tells {@code observer} of every swap of this session's predictor (e.g. the Prometheus
   * meters {@code predict --metrics-port} keeps); call it before {@link #startPredictor}.
   */
  public void alsoOnSwap(ModelHolder.SwapObserver observer) {
    this.alsoOnSwap = observer;
  }

  /**
   * Measures freshness on {@code serving}, a predictor started and loaded with requests elsewhere
   * on this pipeline ({@code bench --predict --live-rate}: the instance under test), instead of
   * this session's own: call it instead of {@link #startPredictor}.
   */
  public void measureOn(PredictionRun serving) {
    serving.observeSwaps((version, at, live) -> ledger.swapped(version, at));
    servedBy = serving;
  }

  private void sendRequests(LabeledDataset dataset) {
    Serializer<LabeledImage> serializer = pipeline.serde(LabeledImage.class).serializer();
    String topic = pipeline.names().imagesInfer();
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(pipeline.settings().producerProps())) {
      for (long i = 0; !closed; i++) {
        LabeledImage image = LabeledImages.fromDataset(dataset, (int) (i % dataset.count()));
        image.setId("request-" + i);
        image.setLabel(null);
        producer.send(
            new ProducerRecord<>(
                topic,
                image.getId().getBytes(StandardCharsets.UTF_8),
                serializer.serialize(topic, image)));
        LockSupport.parkNanos(1_000_000_000L / REQUESTS_PER_SECOND);
      }
    }
  }

  /**
   * Produces labeled events open-loop at {@code rate} per second for {@code duration}: event i is
   * due at start + i / rate and sent then, or at once when the producer is behind. {@code label}
   * maps each true label (the demo's concept drift). About once a second it checks that the trainer
   * and the predictor still run.
   *
   * @return the ids of the events produced, with their production times
   */
  public Map<String, Long> produce(
      LabeledDataset dataset,
      String idPrefix,
      double rate,
      Duration duration,
      IntUnaryOperator label) {
    Serializer<LabeledImage> serializer = pipeline.serde(LabeledImage.class).serializer();
    String topic = pipeline.names().imagesTrain();
    Map<String, Long> sent = new HashMap<>();
    long start = System.nanoTime();
    long end = start + duration.toNanos();
    long nextCheck = start + TimeUnit.SECONDS.toNanos(1);
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(pipeline.settings().producerProps())) {
      for (long i = 0; ; i++) {
        long due = start + (long) (i * 1e9 / rate);
        if (due >= end || producerFailure.get() != null) {
          break;
        }
        long wait = due - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
        int index = (int) (i % dataset.count());
        LabeledImage image = LabeledImages.fromDataset(dataset, index);
        String id = idPrefix + "-" + i;
        image.setId(id);
        image.setLabel(label.applyAsInt(image.getLabel()));
        long now = System.currentTimeMillis();
        sent.put(id, now);
        produced.put(id, now);
        producer.send(
            new ProducerRecord<>(
                topic,
                null,
                now,
                id.getBytes(StandardCharsets.UTF_8),
                serializer.serialize(topic, image)),
            (metadata, e) -> {
              if (e != null) {
                producerFailure.compareAndSet(null, e);
              } else {
                acked.incrementAndGet();
              }
            });
        if (System.nanoTime() >= nextCheck) {
          nextCheck += TimeUnit.SECONDS.toNanos(1);
          trainer.throwIfFailed();
          servedBy.throwIfFailed();
        }
      }
      producer.flush();
    }
    if (producerFailure.get() != null) {
      throw new IllegalStateException(
          "Producing live events failed: " + Errors.oneLine(producerFailure.get()),
          producerFailure.get());
    }
    return sent;
  }

  /**
   * Waits until the served model reflects every event produced (bounded), so that what is left
   * unserved at the end is lost, not late.
   */
  public void drain(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      trainer.throwIfFailed();
      if (ledger.accountedFor(servedBy.modelVersion()) >= acked.get()) {
        return;
      }
      Thread.sleep(100); // a bounded wait on another process's progress, not a synchronisation
    }
  }

  /** Freshness of the events of {@code events} so far, in ms, NaN for those not served yet. */
  public double[] freshness(Map<String, Long> events) {
    return ledger.freshness(events);
  }

  /**
   * For each event of {@code events}, how long after its production the trainer made the first
   * snapshot that learned it, in ms (NaN for those not learned yet): freshness less the snapshot's
   * way to the predictor (publish, commit, follow, swap).
   */
  public double[] learnedDelays(Map<String, Long> events) {
    return ledger.learnedDelays(events);
  }

  /**
   * For each event of {@code events}, how long after its production the live tail appended it to
   * the feed, in ms (NaN for those not in the feed yet): the part of freshness spent before the
   * trainer could see it.
   */
  public double[] feedDelays(Map<String, Long> events) {
    return ledger.feedDelays(events);
  }

  /** Prequential accuracy over the trainer's last {@code examples} live examples (about). */
  public double prequentialAccuracy(long examples) {
    List<TrainingMetric> recent = new ArrayList<>(prequential);
    Collections.reverse(recent);
    double correct = 0;
    long seen = 0;
    for (TrainingMetric m : recent) {
      if (seen >= examples || m.getAccuracy() == null || m.getCount() == null) {
        break;
      }
      correct += m.getAccuracy() * m.getCount();
      seen += m.getCount();
    }
    return seen == 0 ? Double.NaN : correct / seen;
  }

  /**
   * A progress line: freshness of the events first served in [{@code fromMillis}, {@code
   * toMillis}), the served version, prequential accuracy over the last 3,000 examples.
   */
  public Progress progress(long fromMillis, long toMillis) {
    Map<String, Long> candidates = new HashMap<>();
    produced.forEach(
        (id, at) -> {
          if (at < toMillis) {
            candidates.put(id, at);
          }
        });
    double[] f = freshness(candidates);
    List<Double> servedInInterval = new ArrayList<>();
    int i = 0;
    for (long at : candidates.values()) {
      double fresh = f[i++];
      double servedAt = at + fresh;
      if (!Double.isNaN(fresh) && servedAt >= fromMillis && servedAt < toMillis) {
        servedInInterval.add(fresh);
      }
    }
    double[] sorted = servedInInterval.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return new Progress(
        (System.currentTimeMillis() - startMillis) / 1000.0,
        produced.size(),
        servedBy.modelVersion(),
        percentile(sorted, 50),
        percentile(sorted, 99),
        prequentialAccuracy(3_000));
  }

  /** The figures of a finished stream of {@code events} produced at {@code rate} over {@code s}. */
  public Result result(Map<String, Long> events, double rate, double seconds) {
    double[] f = freshness(events);
    long lost = java.util.Arrays.stream(f).filter(Double::isNaN).count() - ledger.deadLetters();
    double[] served = java.util.Arrays.stream(f).filter(x -> !Double.isNaN(x)).sorted().toArray();
    return new Result(
        rate,
        events.size() / seconds,
        events.size(),
        Math.max(0, lost),
        ledger.deadLetters(),
        new double[] {
          percentile(served, 50),
          percentile(served, 90),
          percentile(served, 99),
          served.length == 0 ? Double.NaN : served[served.length - 1]
        },
        prequentialAccuracy(Long.MAX_VALUE),
        ledger.snapshots(),
        ledger.swaps());
  }

  /** Nearest-rank percentile of sorted values; NaN when empty. */
  public static double percentile(double[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  public Pipeline pipeline() {
    return pipeline;
  }

  @Override
  public void close() {
    closed = true;
    if (requestLoad != null) {
      try {
        requestLoad.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      predictor.close();
    } finally {
      try {
        trainer.close();
      } finally {
        ledger.close();
      }
    }
  }
}
