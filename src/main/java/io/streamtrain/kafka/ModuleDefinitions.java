package io.streamtrain.kafka;

import io.streamtrain.config.Settings;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The definitions topic: TorchScript module archives keyed by their SHA-256 (hex), so a predictor,
 * {@code evaluate} or a trainer on another machine loads the module a snapshot names without a
 * local copy. Bytes only; the reader checks the hash against the key (TorchScriptModules).
 */
public final class ModuleDefinitions {
  private ModuleDefinitions() {}

  /** Writes {@code archive} under {@code sha256} and waits for the broker's acknowledgement. */
  public static void publish(Settings settings, String topic, String sha256, byte[] archive) {
    Properties props = settings.producerProps();
    props.put(
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(Settings.MODULE_RECORD_MAX_BYTES));
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      producer
          .send(new ProducerRecord<>(topic, sha256.getBytes(StandardCharsets.UTF_8), archive))
          .get(60, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new IllegalStateException(
          "cannot publish module " + sha256 + " to " + topic + ": " + cause.getMessage(), cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while publishing module " + sha256, e);
    }
  }

  /** The newest archive under {@code sha256} in {@code topic}, empty when it has none. */
  public static Optional<byte[]> find(Settings settings, String topic, String sha256) {
    Properties props = settings.consumerProps(null);
    props.put(
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
        String.valueOf(Settings.MODULE_RECORD_MAX_BYTES));
    byte[] key = sha256.getBytes(StandardCharsets.UTF_8);
    AtomicReference<byte[]> found = new AtomicReference<>();
    TopicReader.read(
        props,
        topic,
        r -> {
          if (r.value() != null && java.util.Arrays.equals(key, r.key())) {
            found.set(r.value());
          }
        });
    return Optional.ofNullable(found.get());
  }
}
