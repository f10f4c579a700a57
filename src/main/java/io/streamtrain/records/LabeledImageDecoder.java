package io.streamtrain.records;

import io.streamtrain.data.ImageAcceptance;
import io.streamtrain.data.ImageDecoder;
import io.streamtrain.data.ImageShape;
import io.streamtrain.data.ImageTensors;
import io.streamtrain.data.ImageTransforms;
import io.streamtrain.data.InvalidImageException;
import io.streamtrain.registry.AvroDeserializer;
import io.streamtrain.registry.SchemaRegistryException;
import io.streamtrain.schema.LabeledImage;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes Confluent-framed {@link LabeledImage} bytes of a training topic and checks that the model
 * can learn from them: the input shape it takes, a label in 0..classes-1. Whatever is wrong with
 * the bytes is an {@link InvalidRecordException} naming its kind; a registry that cannot answer is
 * not the record's fault: it is waited out, retrying with backoff in the calling (stream) thread,
 * for up to the outage wait, and then propagates as a {@link SchemaRegistryException}, so that no
 * valid record is dead-lettered or skipped while the registry is down. What a record declares (Avro
 * lengths, image header) is checked before anything of that size is allocated, so one record costs
 * at most its bound.
 */
public final class LabeledImageDecoder implements ExampleDecoder {
  static final String EMPTY_VALUE = "empty-value";
  static final String UNDECODABLE_RECORD = "undecodable-record";
  public static final String INVALID_IMAGE = "invalid-image";
  private static final Logger LOG = LoggerFactory.getLogger(LabeledImageDecoder.class);
  private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(15);
  // A reused record keeps its pixel buffer up to this size (a Fashion-MNIST image is 784 bytes).
  private static final int MAX_REUSED_DATA_BYTES = 64 << 10;

  /** The kinds this decoder emits besides {@link DeserializationErrors#KINDS}. */
  static final List<String> KINDS = kinds();

  private final Deserializer<LabeledImage> deserializer;
  private final String topic;
  private final ImageShape shape;
  private final int classes;
  private final long maxPixels;
  // What the training feed accepts: a label is required.
  private final ImageAcceptance accept;
  private final Duration outageWait;
  private final Duration firstBackoff;
  private ImageTransforms transforms = ImageTransforms.NONE;
  private long seed;
  private boolean augment;
  private ClassNames classNames;
  // Per thread: the topology shares one decoder among its tasks.
  private final ThreadLocal<LabeledImage> reused = ThreadLocal.withInitial(LabeledImage::new);

  /** A decoder refusing PNG/JPEG headers above {@link ImageDecoder#DEFAULT_MAX_PIXELS}. */
  public LabeledImageDecoder(
      Deserializer<LabeledImage> deserializer, String topic, ImageShape shape, int classes) {
    this(deserializer, topic, shape, classes, ImageDecoder.DEFAULT_MAX_PIXELS);
  }

  /**
   * @param maxPixels most pixels a PNG/JPEG header may declare ({@code max-image-pixels}); more is
   *     dead-lettered as {@code image-too-large} before any pixel is decoded
   */
  public LabeledImageDecoder(
      Deserializer<LabeledImage> deserializer,
      String topic,
      ImageShape shape,
      int classes,
      long maxPixels) {
    this(deserializer, topic, shape, classes, maxPixels, Duration.ZERO, FIRST_BACKOFF);
  }

  /**
   * @param outageWait how long an unreachable registry is waited out ({@code outage-wait-seconds}),
   *     retrying with backoff, before {@link #decode} gives up with a {@link
   *     SchemaRegistryException}; zero gives up at once
   */
  public LabeledImageDecoder(
      Deserializer<LabeledImage> deserializer,
      String topic,
      ImageShape shape,
      int classes,
      long maxPixels,
      Duration outageWait) {
    this(deserializer, topic, shape, classes, maxPixels, outageWait, FIRST_BACKOFF);
  }

  LabeledImageDecoder(
      Deserializer<LabeledImage> deserializer,
      String topic,
      ImageShape shape,
      int classes,
      long maxPixels,
      Duration outageWait,
      Duration firstBackoff) {
    if (maxPixels <= 0) {
      throw new IllegalArgumentException(
          "max-image-pixels must be positive (got " + maxPixels + ")");
    }
    this.deserializer = deserializer;
    this.topic = topic;
    this.shape = shape;
    this.classes = classes;
    this.maxPixels = maxPixels;
    this.accept = new ImageAcceptance(shape, classes, true, maxPixels);
    this.outageWait = outageWait;
    this.firstBackoff = firstBackoff;
  }

  /**
   * Applies {@code transforms} between decoding and the tensor; with {@code augment} (the training
   * feed's decoder) their crop and flip too, drawn from {@code seed} and each record's feed
   * position. Call before the decoder is used.
   */
  public LabeledImageDecoder transforms(ImageTransforms transforms, long seed, boolean augment) {
    this.transforms = transforms;
    this.seed = seed;
    this.augment = augment;
    return this;
  }

  /** Notes each decoded record's class name in {@code names}. Call before the decoder is used. */
  public LabeledImageDecoder classNames(ClassNames names) {
    this.classNames = names;
    return this;
  }

  public ImageTransforms transforms() {
    return transforms;
  }

  @Override
  public ImageShape inputShape() {
    return shape;
  }

  @Override
  public Example decode(byte[] value) throws InvalidRecordException {
    return decode(value, ImageTransforms.LIVE_EPOCH, -1, -1);
  }

  @Override
  public Example decode(byte[] value, int epoch, int partition, long offset)
      throws InvalidRecordException {
    byte[] example = new byte[1 + shape.size()];
    int recordEpoch = decodeInto(value, epoch, partition, offset, example, 0);
    return new Example(example, recordEpoch == NO_EPOCH ? null : recordEpoch);
  }

  /**
   * Reads the record into a record object kept per thread ({@link AvroDeserializer}'s reuse: no
   * object graph and no pixel buffer per record) and copies its validated pixels straight to {@code
   * dst}.
   */
  @Override
  public int decodeInto(byte[] value, int epoch, int partition, long offset, byte[] dst, int at)
      throws InvalidRecordException {
    LabeledImage image = deserialize(value, reused.get());
    try {
      if (transforms.isEmpty()) {
        ImageTensors.copyValidatedPixels(image, accept, dst, at + 1);
      } else {
        SplittableRandom draws =
            augment && transforms.augments()
                ? ImageTransforms.draws(seed, epoch, partition, offset)
                : null;
        byte[] pixels = ImageTensors.transformedPixels(image, transforms, accept, draws);
        System.arraycopy(pixels, 0, dst, at + 1, shape.size());
      }
      dst[at] = (byte) (int) image.getLabel();
      if (classNames != null) {
        classNames.observe(image.getLabel(), image.getClassName());
      }
      Integer recordEpoch = image.getEpoch();
      return recordEpoch == null ? NO_EPOCH : recordEpoch;
    } catch (InvalidImageException e) {
      throw new InvalidRecordException(kindName(e.kind()), e.getMessage(), e);
    } catch (RuntimeException e) {
      // A record-level failure the checks above did not foresee: still the record's problem.
      throw new InvalidRecordException(
          INVALID_IMAGE, "cannot use image " + image.getId() + ": " + e, e);
    } finally {
      ByteBuffer data = image.getData();
      if (data != null && data.capacity() > MAX_REUSED_DATA_BYTES) {
        image.setData(null); // a large PNG's buffer is not kept for the records after it
      }
    }
  }

  /** Decodes the Avro record, telling apart the ways bytes can fail to be one. */
  public LabeledImage deserialize(byte[] value) throws InvalidRecordException {
    return deserialize(value, null);
  }

  /** {@link #deserialize(byte[])} into {@code reuse} where the deserializer can, else anew. */
  private LabeledImage deserialize(byte[] value, LabeledImage reuse) throws InvalidRecordException {
    if (value == null || value.length == 0) {
      throw new InvalidRecordException(
          EMPTY_VALUE,
          "empty value (tombstone) on " + topic + ": a training record needs an image");
    }
    long deadline = System.nanoTime() + outageWait.toNanos();
    Duration backoff = firstBackoff;
    for (int attempt = 1; ; attempt++) {
      try {
        return reuse != null && deserializer instanceof AvroDeserializer<LabeledImage> avro
            ? avro.deserialize(topic, value, reuse)
            : deserializer.deserialize(topic, value);
      } catch (SerializationException e) {
        throw new InvalidRecordException(DeserializationErrors.kind(value, e), e.getMessage(), e);
      } catch (SchemaRegistryException e) {
        long left = deadline - System.nanoTime();
        if (!e.isRetriable() || left <= 0) {
          throw givingUp(e);
        }
        Duration pause = Duration.ofNanos(Math.min(backoff.toNanos(), left));
        LOG.warn(
            "Schema Registry unavailable ({}); retry {} in {} ms, waiting up to {} s more"
                + " (no record skipped)",
            e.getMessage(),
            attempt,
            pause.toMillis(),
            Duration.ofNanos(left).toSeconds());
        LOG.debug("Registry failure", e);
        pause(pause, e);
        backoff =
            backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0
                ? MAX_BACKOFF
                : backoff.multipliedBy(2);
      } catch (RuntimeException e) {
        throw new InvalidRecordException(UNDECODABLE_RECORD, "cannot decode record: " + e, e);
      }
    }
  }

  private SchemaRegistryException givingUp(SchemaRegistryException e) {
    String waited =
        e.isRetriable() && !outageWait.isZero()
            ? " (waited " + outageWait.toSeconds() + " s, --outage-wait-seconds)"
            : "";
    return new SchemaRegistryException(
        "Cannot decode records of "
            + topic
            + ": "
            + e.getMessage()
            + waited
            + "; no record was dead-lettered: start again once the registry answers",
        e.httpStatus(),
        e.errorCode(),
        e);
  }

  /**
   * Sleeps in short slices, giving up when the JVM shuts down (SIGTERM): the record is then left
   * unprocessed, its transaction aborted, so a stop during an outage is as quick as any other.
   */
  private static void pause(Duration pause, SchemaRegistryException e) {
    long end = System.nanoTime() + pause.toNanos();
    try {
      for (long left = pause.toNanos(); left > 0; left = end - System.nanoTime()) {
        if (shuttingDown()) {
          throw e;
        }
        Thread.sleep(Math.max(1, Math.min(Duration.ofNanos(left).toMillis(), 200)));
      }
    } catch (InterruptedException interrupted) {
      Thread.currentThread().interrupt();
      throw e;
    }
  }

  /** Whether the JVM is running its shutdown hooks: registering one is refused then. */
  private static boolean shuttingDown() {
    Thread probe = new Thread(() -> {});
    try {
      Runtime.getRuntime().addShutdownHook(probe);
      Runtime.getRuntime().removeShutdownHook(probe);
      return false;
    } catch (IllegalStateException e) {
      return true;
    }
  }

  @Override
  public void toTensor(byte[] example, int from, float[] dst, int at) {
    transforms.toTensor(example, from, shape, dst, at);
  }

  /** Most pixels a PNG/JPEG header may declare ({@code max-image-pixels}). */
  public long maxPixels() {
    return maxPixels;
  }

  public static String kindName(InvalidImageException.Kind kind) {
    return kind.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  private static List<String> kinds() {
    List<String> kinds = new ArrayList<>(List.of(EMPTY_VALUE, UNDECODABLE_RECORD, INVALID_IMAGE));
    for (InvalidImageException.Kind kind : InvalidImageException.Kind.values()) {
      kinds.add(kindName(kind));
    }
    return List.copyOf(kinds);
  }
}
