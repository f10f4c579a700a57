package io.streamtrain.topology;

import io.streamtrain.data.FashionMnist;
import io.streamtrain.data.ImageShape;
import io.streamtrain.data.ImageTensors;
import io.streamtrain.data.InvalidImageException;
import io.streamtrain.model.InferenceModel;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.Prediction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Answers {@code images.infer} requests with {@link Prediction}s keyed as the request. Requests
 * ready together share one forward pass (dynamic micro-batching): the batch runs when it holds
 * {@code maxBatch} requests, when its oldest request has waited {@code maxWait} while more kept
 * coming, or when Streams has handed over everything it polled, so a lone request is answered at
 * once.
 */
public final class Predictor implements Processor<byte[], byte[], Object, Object> {
  static final String PREDICTIONS = "prediction-sink";
  static final String DEAD_LETTERS = "dead-letters";

  private final LabeledImageDecoder decoder;
  private final ModelHolder models;
  private final String modelName;
  private final int maxBatch;
  private final Duration maxWait;
  private final IntFunction<String> classNames;
  private final DeadLetters deadLetters;

  private ProcessorContext<Object, Object> context;
  private float[] pixels;
  private final List<Record<byte[], byte[]>> pending = new ArrayList<>();
  private final List<LabeledImage> images = new ArrayList<>();
  private long oldestNanos;

  public Predictor(
      LabeledImageDecoder decoder,
      ModelHolder models,
      String modelName,
      int maxBatch,
      Duration maxWait,
      DeadLetters deadLetters) {
    this.decoder = decoder;
    this.models = models;
    this.modelName = modelName;
    this.maxBatch = maxBatch;
    this.maxWait = maxWait;
    this.classNames = i -> i >= 0 && i < FashionMnist.CLASS_NAMES.size() ? FashionMnist.CLASS_NAMES.get(i) : String.valueOf(i);
    this.deadLetters = deadLetters;
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
    this.pixels = new float[maxBatch * decoder.inputShape().size()];
    // Flush whatever the last poll delivered; Streams punctuates after processing a poll's records.
    context.schedule(Duration.ofMillis(1), PunctuationType.WALL_CLOCK_TIME, now -> flush());
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    LabeledImage image;
    ImageShape shape = decoder.inputShape();
    try {
      image = decoder.deserialize(record.value());
      ImageTensors.validate(image, shape, Integer.MAX_VALUE, false);
      ImageTensors.toTensor(image, pixels, images.size() * shape.size());
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
    if (images.isEmpty()) {
      oldestNanos = System.nanoTime();
    }
    pending.add(record);
    images.add(image);
    if (images.size() >= maxBatch || System.nanoTime() - oldestNanos >= maxWait.toNanos()) {
      flush();
    }
  }

  private void flush() {
    if (images.isEmpty()) {
      return;
    }
    InferenceModel model = models.acquire();
    int n = images.size();
    float[][] probabilities = model.probabilities(pixels, n);
    long now = context.currentSystemTimeMs();
    for (int i = 0; i < n; i++) {
      Record<byte[], byte[]> request = pending.get(i);
      LabeledImage image = images.get(i);
      float[] p = probabilities[i];
      int best = argmax(p);
      List<Float> probs = new ArrayList<>(p.length);
      for (float v : p) {
        probs.add(v);
      }
      Prediction prediction =
          Prediction.newBuilder()
              .setId(image.getId())
              .setLabel(best)
              .setClassName(classNames.apply(best))
              .setProbabilities(probs)
              .setModelName(modelName)
              .setModelVersion(model.version())
              .setTrueLabel(image.getLabel())
              .setRequestTime(Instant.ofEpochMilli(request.timestamp()))
              .setPredictTime(Instant.ofEpochMilli(now))
              .build();
      byte[] key = request.key() != null ? request.key() : image.getId().getBytes(StandardCharsets.UTF_8);
      context.forward(new Record<>(key, prediction, request.timestamp()), PREDICTIONS);
    }
    pending.clear();
    images.clear();
  }

  private static int argmax(float[] p) {
    int best = 0;
    for (int i = 1; i < p.length; i++) {
      if (p[i] > p[best]) {
        best = i;
      }
    }
    return best;
  }
}
