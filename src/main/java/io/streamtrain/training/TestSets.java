package io.streamtrain.training;

import io.streamtrain.app.Pipeline;
import io.streamtrain.data.ImageShape;
import io.streamtrain.kafka.Partitions;
import io.streamtrain.records.InvalidRecordException;
import io.streamtrain.records.LabeledImageDecoder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Loads the held-out set from {@code images.test} into memory for per-epoch evaluation. */
public final class TestSets {
  private static final Logger LOG = LoggerFactory.getLogger(TestSets.class);

  private TestSets() {}

  /** Every valid record of the test topic up to its current end; invalid ones are skipped. */
  public static TestSet load(Pipeline pipeline) {
    String topic = pipeline.names().imagesTest();
    LabeledImageDecoder decoder = pipeline.decoder(topic);
    ImageShape shape = decoder.inputShape();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(pipeline.settings().consumerProps(null))) {
      List<TopicPartition> partitions = Partitions.of(consumer, topic);
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long total = end.values().stream().mapToLong(Long::longValue).sum();
      float[] pixels = new float[(int) total * shape.size()];
      int[] labels = new int[(int) total];
      int n = 0;
      int skipped = 0;
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (n >= total) {
            break;
          }
          try {
            byte[] example = decoder.decode(r.value()).bytes();
            labels[n] = example[0];
            io.streamtrain.data.ImageTensors.toTensor(
                example,
                1,
                shape.height(),
                shape.width(),
                shape.channels(),
                pixels,
                n * shape.size());
            n++;
          } catch (InvalidRecordException e) {
            skipped++;
          }
        }
      }
      if (skipped > 0) {
        LOG.warn("Skipped {} invalid records of {}", skipped, topic);
      }
      if (n == 0) {
        LOG.info("No test images on {}: epochs end without evaluation", topic);
        return TestSet.EMPTY;
      }
      return new TestSet(
          java.util.Arrays.copyOf(pixels, n * shape.size()), java.util.Arrays.copyOf(labels, n), n);
    }
  }
}
