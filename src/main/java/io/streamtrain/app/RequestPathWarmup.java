package io.streamtrain.app;

import io.streamtrain.config.Directories;
import io.streamtrain.data.ImageShape;
import io.streamtrain.model.InferenceModel;
import io.streamtrain.schema.ImageEncoding;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.serving.Predictor;
import io.streamtrain.snapshots.ModelHolder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.SplittableRandom;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * Warms a predictor's whole request path before it serves: synthetic requests, framed as a client
 * frames them, run through the prediction topology itself (decoding, validation, micro-batching,
 * the forward pass, encoding, Kafka Streams' processing and record collection) in a {@link
 * TopologyTestDriver}, so nothing reaches the broker. Warming only the model left the first burst
 * of real requests paying for interpreted code in all the rest.
 *
 * <p>The driver's topology has a holder of its own for the model being warmed, so the warm-up
 * counts no swap and takes no live events off the real holder.
 */
final class RequestPathWarmup {
  private static final Duration ROUND = Duration.ofMillis(1);

  private RequestPathWarmup() {}

  /**
   * Runs {@code requests} synthetic requests through {@code pipeline}'s prediction topology serving
   * {@code model}, in micro-batches of every size up to {@code maxBatch}.
   */
  static Result run(
      Pipeline pipeline, InferenceModel model, int maxBatch, Duration maxWait, int requests) {
    String requestsTopic = pipeline.names().imagesInfer();
    List<byte[]> values = syntheticRequests(pipeline, model, 64);
    ModelHolder holder = new ModelHolder();
    holder.offer(model);
    Path stateDir;
    try {
      stateDir = Files.createTempDirectory("streamtrain-warmup");
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create the warm-up's state directory", e);
    }
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "streamtrain-warmup");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "warmup:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    int answered = 0;
    int deadLetters = 0;
    // Each round's requests carry the driver's wall-clock time, so that the punctuation that ends
    // the round answers them, as it answers a predictor that keeps up.
    Instant now = Instant.now();
    try (TopologyTestDriver driver =
        new TopologyTestDriver(
            pipeline.predictionTopology(holder, maxBatch, maxWait, new Predictor.Stats()),
            props,
            now)) {
      TestInputTopic<byte[], byte[]> in =
          driver.createInputTopic(
              requestsTopic, new ByteArraySerializer(), new ByteArraySerializer());
      TestOutputTopic<byte[], byte[]> out =
          driver.createOutputTopic(
              pipeline.names().predictions(),
              new ByteArrayDeserializer(),
              new ByteArrayDeserializer());
      TestOutputTopic<byte[], byte[]> dead =
          driver.createOutputTopic(
              pipeline.names().imagesDlq(),
              new ByteArrayDeserializer(),
              new ByteArrayDeserializer());
      int sent = 0;
      for (int batch = 1; sent < requests; batch = batch % maxBatch + 1) {
        for (int i = 0; i < batch && sent < requests; i++, sent++) {
          byte[] value = values.get(sent % values.size());
          in.pipeInput(("warmup-" + sent).getBytes(StandardCharsets.UTF_8), value, now);
        }
        driver.advanceWallClockTime(ROUND);
        now = now.plus(ROUND);
        answered += out.readRecordsToList().size();
        deadLetters += dead.readRecordsToList().size();
      }
    } finally {
      Directories.deleteQuietly(stateDir);
    }
    return new Result(answered, deadLetters);
  }

  /**
   * What the warm-up's requests came to: predictions, and dead letters (a shape the model refuses).
   */
  record Result(int predictions, int deadLetters) {}

  /** Random images of the model's input shape, framed as {@code images.infer} values. */
  private static List<byte[]> syntheticRequests(Pipeline pipeline, InferenceModel model, int n) {
    ImageShape shape = ImageShape.ofModelInput(model.spec().inputShape());
    var serializer = pipeline.serde(LabeledImage.class).serializer();
    SplittableRandom random = new SplittableRandom(42);
    List<byte[]> values = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      byte[] pixels = new byte[shape.size()];
      for (int p = 0; p < pixels.length; p++) {
        pixels[p] = (byte) random.nextInt(256);
      }
      LabeledImage image =
          LabeledImage.newBuilder()
              .setId("warmup-" + i)
              .setHeight(shape.height())
              .setWidth(shape.width())
              .setChannels(shape.channels())
              .setEncoding(ImageEncoding.RAW)
              .setData(ByteBuffer.wrap(pixels))
              .build();
      values.add(serializer.serialize(pipeline.names().imagesInfer(), image));
    }
    return values;
  }
}
