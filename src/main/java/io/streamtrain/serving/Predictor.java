package io.streamtrain.serving;

import io.streamtrain.data.ImageAcceptance;
import io.streamtrain.data.ImageShape;
import io.streamtrain.data.ImageTensors;
import io.streamtrain.data.ImageTransforms;
import io.streamtrain.data.InvalidImageException;
import io.streamtrain.model.InferenceModel;
import io.streamtrain.records.ClassNames;
import io.streamtrain.records.DeadLetters;
import io.streamtrain.records.InvalidRecordException;
import io.streamtrain.records.LabeledImageDecoder;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.Prediction;
import io.streamtrain.snapshots.ModelHolder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Answers {@code images.infer} requests with {@link Prediction}s keyed as the request, running the
 * requests that are ready together through one forward pass (dynamic micro-batching).
 *
 * <p>A batch runs when it holds {@code maxBatch} requests, when its oldest request has waited
 * {@code maxWait} while more kept coming, or at the first punctuation after Streams handed over
 * what it polled. Streams punctuates after each round of processing and its wall-clock grain is 1
 * ms, so a lone request is answered in the same round, never after {@code maxWait}; under load a
 * round holds many requests and they share a pass. Behind a backlog (the batch's oldest request was
 * produced more than {@link #BACKLOG_LAG} ago) a punctuation that follows new arrivals does not cut
 * the batch: when processing is slow (a cold JVM, a busy machine) Streams processes one record per
 * task between punctuations, and cutting there would run a forward pass per request exactly when
 * passes are dearest. Such a batch still runs within {@code maxWait}. A batch uses one model from
 * {@link ModelHolder}, so no batch mixes two versions and a hot swap never waits for anything.
 *
 * <p>Requests wait at most until the next punctuation (about 1 ms) or {@link #close()}. Kafka
 * Streams has no pre-commit hook for processors, so an offset commit can land while a round's
 * requests are still buffered (they are answered about 1 ms later): under at-least-once only a
 * crash inside that window loses them; under exactly-once the transaction would commit their
 * offsets without their answers, so the exactly-once app runs with {@code maxWait} 0, which answers
 * each request within its own {@code process} call.
 */
public final class Predictor implements Processor<byte[], byte[], Object, Object> {
  static final String PREDICTIONS = "prediction-sink";
  static final String DEAD_LETTERS = "dead-letters";

  /** Wall-clock punctuation period: Kafka Streams' finest, so partial batches wait one round. */
  static final Duration FLUSH_INTERVAL = Duration.ofMillis(1);

  /** How late a request must be when gathered for its batch to keep gathering at a punctuation. */
  static final Duration BACKLOG_LAG = Duration.ofMillis(25);

  private final LabeledImageDecoder decoder;
  private final ModelHolder models;
  private final String modelName;
  private final int maxBatch;
  private final long maxWaitNanos;
  private final DeadLetters deadLetters;
  private final Stats stats;
  private final LongSupplier nanoClock;
  // The input of the model requests are prepared for; the batch's pixels are packed for it.
  private InferenceModel preparedFor;
  private ImageShape shape;
  private ImageTransforms transforms = ImageTransforms.NONE;
  private int features;

  private ProcessorContext<Object, Object> context;
  // The batch being gathered: pixels packed for the forward pass, and what each answer needs.
  private float[] pixels;
  private final byte[][] keys;
  private final long[] timestamps;
  private final String[] ids;
  private final Integer[] trueLabels;
  private int size;
  private long oldestNanos;
  // Whether a request was gathered since the last punctuation: a backlog is still draining.
  private boolean gatheredSinceRound;

  /** {@code nanoClock} measures how long the oldest request waited ({@code System::nanoTime}). */
  Predictor(
      LabeledImageDecoder decoder,
      ModelHolder models,
      String modelName,
      int maxBatch,
      Duration maxWait,
      DeadLetters deadLetters,
      Stats stats,
      LongSupplier nanoClock) {
    if (maxBatch < 1 || maxWait.isNegative()) {
      throw new IllegalArgumentException(
          "--max-batch must be >= 1 and --max-wait-ms >= 0 (got "
              + maxBatch
              + ", "
              + maxWait
              + ")");
    }
    this.decoder = decoder;
    this.models = models;
    this.modelName = modelName;
    this.maxBatch = maxBatch;
    this.maxWaitNanos = maxWait.toNanos();
    this.deadLetters = deadLetters;
    this.stats = stats;
    this.nanoClock = nanoClock;
    this.shape = decoder.inputShape();
    this.features = shape.size();
    this.pixels = new float[maxBatch * features];
    this.keys = new byte[maxBatch][];
    this.timestamps = new long[maxBatch];
    this.ids = new String[maxBatch];
    this.trueLabels = new Integer[maxBatch];
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
    // Streams punctuates after each round of processing what it polled: answer what is left.
    context.schedule(FLUSH_INTERVAL, PunctuationType.WALL_CLOCK_TIME, this::endOfRound);
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    LabeledImage image;
    try {
      image = decoder.deserialize(record.value());
      prepareFor(models.peek());
      // Requests carry no label; the model's shape is the one prepareFor just set.
      ImageAcceptance accept =
          new ImageAcceptance(shape, Integer.MAX_VALUE, false, decoder.maxPixels());
      if (transforms.isEmpty()) {
        ImageTensors.toValidatedTensor(image, accept, pixels, size * features);
      } else {
        ImageTensors.toTransformedTensor(image, transforms, accept, pixels, size * features);
      }
    } catch (InvalidRecordException e) {
      deadLetters.send(context, record, e);
      return;
    } catch (InvalidImageException e) {
      deadLetters.send(
          context,
          record,
          new InvalidRecordException(LabeledImageDecoder.kindName(e.kind()), e.getMessage(), e));
      return;
    }
    long now = nanoClock.getAsLong();
    if (size == 0) {
      oldestNanos = now;
    }
    keys[size] =
        record.key() != null ? record.key() : image.getId().getBytes(StandardCharsets.UTF_8);
    timestamps[size] = record.timestamp();
    ids[size] = image.getId();
    trueLabels[size] = image.getLabel();
    size++;
    gatheredSinceRound = true;
    if (size >= maxBatch) {
      flush();
    } else if (now - oldestNanos >= maxWaitNanos) {
      flush();
    }
  }

  /**
   * Prepares requests for {@code model}: its input shape and the transforms its snapshot says
   * training applied, which prediction applies without the augmentation (before any model is there:
   * the configured ones). A batch gathered for another input shape is answered first.
   */
  private void prepareFor(InferenceModel model) throws InvalidRecordException {
    if (model == preparedFor && preparedFor != null) {
      return;
    }
    ImageShape input =
        model == null ? decoder.inputShape() : ImageShape.ofModelInput(model.spec().inputShape());
    ImageTransforms parsed;
    try {
      // A snapshot's transforms are record input; the configured ones were parsed at start-up.
      parsed = model == null ? decoder.transforms() : ImageTransforms.parse(model.transforms());
    } catch (IllegalArgumentException e) {
      throw new InvalidRecordException(
          LabeledImageDecoder.INVALID_IMAGE,
          "the model's snapshot has transforms that cannot be applied: " + e.getMessage(),
          e);
    }
    if (!input.equals(shape)) {
      flush();
      shape = input;
      features = input.size();
      pixels = new float[maxBatch * features];
    }
    transforms = parsed;
    preparedFor = model;
  }

  /** The punctuation: answers what is buffered unless a backlog is still draining into it. */
  private void endOfRound(long wallClockMillis) {
    boolean draining =
        gatheredSinceRound
            && size > 0
            && wallClockMillis - timestamps[0] > BACKLOG_LAG.toMillis()
            && nanoClock.getAsLong() - oldestNanos < maxWaitNanos;
    gatheredSinceRound = false;
    if (!draining) {
      flush();
    }
  }

  /** Number of requests waiting for the next forward pass. */
  int pending() {
    return size;
  }

  private void flush() {
    if (size == 0) {
      return;
    }
    InferenceModel model = models.acquire();
    if (model == null) {
      throw new IllegalStateException(
          "no model to serve: start the predictor only after a snapshot was loaded");
    }
    int n = size;
    float[][] probabilities = model.probabilities(pixels, n);
    long version = model.version();
    Instant predictTime = Instant.ofEpochMilli(context.currentSystemTimeMs());
    for (int i = 0; i < n; i++) {
      float[] p = probabilities[i];
      int best = argmax(p);
      Prediction prediction =
          new Prediction(
              ids[i],
              best,
              ClassNames.nameOf(model.classNames(), p.length, best),
              boxed(p),
              modelName,
              version,
              trueLabels[i],
              Instant.ofEpochMilli(timestamps[i]),
              predictTime);
      context.forward(new Record<>(keys[i], prediction, timestamps[i]), PREDICTIONS);
    }
    Arrays.fill(keys, 0, n, null);
    Arrays.fill(ids, 0, n, null);
    Arrays.fill(trueLabels, 0, n, null);
    size = 0;
    stats.recordBatch(n, version);
    // Produce-to-prediction time of the batch's oldest request (record timestamps are in ms).
    stats.observe(Math.max(0, predictTime.toEpochMilli() - timestamps[0]) * 1_000_000L, n);
  }

  /**
   * Answers what is still buffered. Streams closes processors when a task is suspended (rebalance
   * or shutdown) right after its last commit, so these predictions still go out on a clean stop.
   */
  @Override
  public void close() {
    if (context != null) {
      flush();
    }
  }

  private static List<Float> boxed(float[] p) {
    Float[] values = new Float[p.length];
    for (int i = 0; i < p.length; i++) {
      values[i] = p[i];
    }
    return Arrays.asList(values);
  }

  /** Index of the largest probability: the predicted class. */
  public static int argmax(float[] p) {
    int best = 0;
    for (int i = 1; i < p.length; i++) {
      if (p[i] > p[best]) {
        best = i;
      }
    }
    return best;
  }

  /** Counters shared by the Predictors of one application instance (one per task). */
  public static final class Stats {
    private final LongAdder batches = new LongAdder();
    private final LongAdder requests = new LongAdder();
    private final AtomicLong largestBatch = new AtomicLong();
    private final AtomicLong servedVersion = new AtomicLong(-1);
    private final LongAdder versionChanges = new LongAdder();
    private volatile BatchObserver observer = (latencyNanos, n) -> {};

    /** Receives every answered batch: its oldest request's latency and its size (metrics). */
    public interface BatchObserver {
      void batch(long latencyNanos, int size);
    }

    public void observeWith(BatchObserver observer) {
      this.observer = observer;
    }

    void observe(long latencyNanos, int n) {
      observer.batch(latencyNanos, n);
    }

    void recordBatch(int n, long version) {
      batches.increment();
      requests.add(n);
      largestBatch.accumulateAndGet(n, Math::max);
      if (servedVersion.getAndSet(version) != version) {
        versionChanges.increment();
      }
    }

    /** Forward passes run so far. */
    public long batches() {
      return batches.sum();
    }

    /** Requests answered so far. */
    public long requests() {
      return requests.sum();
    }

    public long largestBatch() {
      return largestBatch.get();
    }

    /** Model version of the latest batch, -1 before the first. */
    public long servedVersion() {
      return servedVersion.get();
    }

    /** Times the version of a batch differed from the previous batch's (the first counts). */
    public long versionChanges() {
      return versionChanges.sum();
    }
  }
}
