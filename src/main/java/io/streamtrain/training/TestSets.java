package io.streamtrain.training;

import io.streamtrain.data.ImageShape;
import io.streamtrain.kafka.Offsets;
import io.streamtrain.kafka.TopicReader;
import io.streamtrain.records.InvalidRecordException;
import io.streamtrain.records.LabeledImageDecoder;
import java.util.Arrays;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Loads the held-out set from {@code images.test} into memory for per-epoch evaluation. */
public final class TestSets {
  private static final Logger LOG = LoggerFactory.getLogger(TestSets.class);

  private TestSets() {}

  /**
   * Every valid record of {@code topic} up to its current end; invalid ones are skipped.
   *
   * @param consumerProps byte-array consumer properties without a group
   * @param decoder the decoder of {@code topic}'s records for the model's input shape
   */
  public static TestSet load(Properties consumerProps, String topic, LabeledImageDecoder decoder) {
    ImageShape shape = decoder.inputShape();
    long total =
        Offsets.ends(consumerProps, topic).values().stream().mapToLong(Long::longValue).sum();
    float[] pixels = new float[(int) total * shape.size()];
    int[] labels = new int[(int) total];
    int[] n = new int[1];
    int[] skipped = new int[1];
    TopicReader.read(
        consumerProps,
        topic,
        r -> {
          if (n[0] >= total) {
            return; // Arrived after the read began: the arrays hold what was there at the start.
          }
          try {
            byte[] example = decoder.decode(r.value()).bytes();
            labels[n[0]] = example[0];
            decoder.toTensor(example, 1, pixels, n[0] * shape.size());
            n[0]++;
          } catch (InvalidRecordException e) {
            skipped[0]++;
          }
        });
    if (skipped[0] > 0) {
      LOG.warn("Skipped {} invalid records of {}", skipped[0], topic);
    }
    if (n[0] == 0) {
      LOG.info("No test images on {}: epochs end without evaluation", topic);
      return TestSet.EMPTY;
    }
    return new TestSet(
        Arrays.copyOf(pixels, n[0] * shape.size()), Arrays.copyOf(labels, n[0]), n[0]);
  }
}
