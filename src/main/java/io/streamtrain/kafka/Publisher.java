package io.streamtrain.kafka;

import io.streamtrain.config.Settings;
import io.streamtrain.schema.LabeledImage;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Publishes labeled images keyed by id with an idempotent, batching, compressing producer, and
 * reports what reached the broker: a failed send is never silent.
 */
public final class Publisher {
  /** What a publish did. */
  public record Summary(long count, long bytes, double seconds) {
    public double perSecond() {
      return count / Math.max(seconds, 1e-9);
    }
  }

  private Publisher() {}

  public static Summary publish(
      Settings settings,
      String topic,
      Serializer<LabeledImage> serializer,
      Iterator<LabeledImage> images,
      LongConsumer progress) {
    long start = System.nanoTime();
    AtomicLong acked = new AtomicLong();
    AtomicReference<Exception> failure = new AtomicReference<>();
    long count = 0;
    long bytes = 0;
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(settings.producerProps())) {
      while (images.hasNext() && failure.get() == null) {
        LabeledImage image = images.next();
        byte[] value = serializer.serialize(topic, image);
        byte[] key = image.getId().getBytes(StandardCharsets.UTF_8);
        bytes += key.length + value.length;
        count++;
        producer.send(
            new ProducerRecord<>(topic, key, value),
            (metadata, e) -> {
              if (e != null) {
                failure.compareAndSet(null, e);
              } else {
                acked.incrementAndGet();
              }
            });
        if ((count & 1023) == 0) {
          progress.accept(acked.get());
        }
      }
      producer.flush();
    }
    progress.accept(acked.get());
    if (failure.get() != null) {
      throw new IllegalStateException(
          "Only "
              + acked.get()
              + " of "
              + count
              + " images reached "
              + topic
              + ": "
              + failure.get().getMessage(),
          failure.get());
    }
    return new Summary(count, bytes, (System.nanoTime() - start) / 1e9);
  }
}
