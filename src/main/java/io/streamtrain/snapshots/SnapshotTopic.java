package io.streamtrain.snapshots;

import io.streamtrain.schema.ModelSnapshot;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;

/**
 * One model's snapshots on one deployment's {@code model.snapshots} topic: publishing them, reading
 * the newest or one version, and where a training run starts ({@link Resume}, {@link StartPoint}).
 *
 * @param consumerProps byte-array consumer properties without a group, fresh on each call
 * @param producerProps byte-array producer properties, fresh on each call
 */
public record SnapshotTopic(
    Supplier<Properties> consumerProps,
    Supplier<Properties> producerProps,
    String topic,
    String modelName,
    Serde<ModelSnapshot> serde) {

  Deserializer<ModelSnapshot> deserializer() {
    return serde.deserializer();
  }

  /** The newest complete snapshot of the model, if the topic has one. */
  public Optional<ModelSnapshot> latest() {
    return Snapshots.latest(consumerProps().get(), topic, modelName, deserializer());
  }

  /** As {@link #latest()}, counting only records at or after {@code from}. */
  Optional<ModelSnapshot> latestFrom(Map<Integer, Long> from) {
    return Snapshots.latestFrom(consumerProps().get(), topic, modelName, deserializer(), from);
  }

  /** The end offset of every partition of the topic now. */
  public Map<Integer, Long> endOffsets() {
    return Snapshots.endOffsets(consumerProps().get(), topic);
  }

  Snapshots.Lineage lineage(long version) {
    return Snapshots.lineage(consumerProps().get(), topic, modelName, deserializer(), version);
  }

  /**
   * The snapshot a trainer starts from, checked before Kafka Streams starts so that a bad one is
   * refused with one line: present for {@code latest} when the topic has one, the exact version for
   * {@code version} (refused when it is not on the topic), empty for {@code from scratch}.
   */
  public Optional<ModelSnapshot> start(Resume resume) {
    return switch (resume.kind()) {
      case LATEST -> latest();
      case FROM_SCRATCH -> Optional.empty();
      case VERSION -> Optional.of(requireVersion(resume.version()));
    };
  }

  /**
   * What the trainer starts from at each task start. Only the first start of the trainer honours
   * {@code --from-scratch} or {@code --snapshot-version}: when Kafka Streams starts its task again
   * in this process, the trainer resumes from its own newest snapshot, or from the same start point
   * if it has published none yet.
   */
  public StartPoint startPoint(Resume resume) {
    return new StartPoint(this, resume);
  }

  ModelSnapshot requireVersion(long version) {
    Snapshots.Lineage lineage = lineage(version);
    return lineage
        .requested()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "--snapshot-version "
                        + version
                        + ": model "
                        + modelName
                        + " has no such snapshot on "
                        + topic
                        + " (versions there: "
                        + lineage.versions()
                        + "; compaction keeps only recent ones)"));
  }

  /**
   * Publishes {@code snapshot} keyed by its model name and waits for the broker's ack; one too
   * large for a record goes out as chunks and a manifest in one transaction.
   */
  public void publish(ModelSnapshot snapshot)
      throws InterruptedException, ExecutionException, TimeoutException {
    var serializer = serde.serializer();
    boolean chunked = SnapshotChunks.needsChunks(snapshot);
    Properties props = producerProps().get();
    if (chunked) {
      props.put(
          ProducerConfig.TRANSACTIONAL_ID_CONFIG,
          "streamtrain-snapshot-publish-" + snapshot.getModelName());
      // A few chunks in flight, not the whole snapshot: send blocks while the buffer is full.
      props.put(
          ProducerConfig.BUFFER_MEMORY_CONFIG,
          String.valueOf(3L * SnapshotChunks.DEFAULT_CHUNK_BYTES));
    }
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      if (!chunked) {
        producer
            .send(
                new ProducerRecord<>(
                    topic,
                    snapshot.getModelName().getBytes(StandardCharsets.UTF_8),
                    serializer.serialize(topic, snapshot)))
            .get(60, TimeUnit.SECONDS);
        return;
      }
      int partition =
          SnapshotChunks.partition(snapshot.getModelName(), producer.partitionsFor(topic).size());
      producer.initTransactions();
      producer.beginTransaction();
      SnapshotChunks.write(
          snapshot,
          SnapshotChunks.DEFAULT_CHUNK_BYTES,
          (key, record) ->
              producer.send(
                  new ProducerRecord<>(
                      topic,
                      partition,
                      key.getBytes(StandardCharsets.UTF_8),
                      serializer.serialize(topic, record))));
      producer.commitTransaction();
    }
  }
}
