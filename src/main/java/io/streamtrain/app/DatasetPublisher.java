package io.streamtrain.app;

import io.streamtrain.data.LabeledDataset;
import io.streamtrain.data.LabeledImages;
import io.streamtrain.kafka.Publisher;
import io.streamtrain.schema.LabeledImage;
import java.util.function.LongConsumer;
import java.util.stream.IntStream;

/** Publishes a decoded dataset to one of a pipeline's topics, with its registry's serializer. */
public final class DatasetPublisher {
  private DatasetPublisher() {}

  /**
   * Publishes images 0..count-1 of {@code dataset} to {@code topic}, keyed by image id.
   *
   * @param progress gets the number of images acknowledged so far
   */
  public static Publisher.Summary publish(
      Pipeline pipeline, String topic, LabeledDataset dataset, int count, LongConsumer progress) {
    return Publisher.publish(
        pipeline.settings(),
        topic,
        pipeline.serde(LabeledImage.class).serializer(),
        IntStream.range(0, count).mapToObj(i -> LabeledImages.fromDataset(dataset, i)).iterator(),
        progress);
  }
}
