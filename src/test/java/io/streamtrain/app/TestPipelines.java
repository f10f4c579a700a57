package io.streamtrain.app;

import io.streamtrain.kafka.EmbeddedKafka;
import io.streamtrain.kafka.Publisher;
import io.streamtrain.kafka.TopicCatalog;
import io.streamtrain.kafka.TopicReader;
import io.streamtrain.schema.ImageEncoding;
import io.streamtrain.schema.LabeledImage;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/** Fresh topics, registry scope and state per test on one embedded broker; generated images. */
public final class TestPipelines {
  private TestPipelines() {}

  public static Pipeline create(EmbeddedKafka broker, Path stateDir, Map<String, String> training) {
    return create(broker.bootstrap(), "mock://it-" + UUID.randomUUID(), stateDir, training);
  }

  /** On any cluster and registry, e.g. Testcontainers' Kafka and Confluent Schema Registry. */
  public static Pipeline create(
      String bootstrap, String registryUrl, Path stateDir, Map<String, String> training) {
    Map<String, String> flags = new HashMap<>(training);
    flags.put("bootstrap", bootstrap);
    flags.put("registry", registryUrl);
    flags.put("topic-prefix", "t" + UUID.randomUUID().toString().substring(0, 8) + ".");
    flags.put("state-dir", stateDir.toString());
    return LocalCluster.pipelineWithTopics(flags, TopicCatalog.DEFAULT_INFER_PARTITIONS);
  }

  /**
   * 28x28 grayscale images of ten learnable classes: class k is a bright 6x6 block at a position of
   * its own plus noise.
   */
  public static List<LabeledImage> images(String prefix, int count, long seed) {
    Random random = new Random(seed);
    List<LabeledImage> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int label = random.nextInt(10);
      byte[] pixels = new byte[784];
      for (int p = 0; p < 784; p++) {
        pixels[p] = (byte) random.nextInt(40);
      }
      int top = 2 + (label / 5) * 12;
      int left = 2 + (label % 5) * 5;
      for (int r = top; r < top + 6; r++) {
        for (int c = left; c < Math.min(28, left + 6); c++) {
          pixels[r * 28 + c] = (byte) (200 + random.nextInt(55));
        }
      }
      out.add(
          LabeledImage.newBuilder()
              .setId(prefix + "-" + i)
              .setHeight(28)
              .setWidth(28)
              .setChannels(1)
              .setEncoding(ImageEncoding.RAW)
              .setData(ByteBuffer.wrap(pixels))
              .setLabel(label)
              .setClassName("class-" + label)
              .setSource("generated")
              .build());
    }
    return out;
  }

  /** Publishes {@code images} to {@code topic} with the pipeline's serializer, keyed by id. */
  public static Publisher.Summary publish(
      Pipeline pipeline, String topic, List<LabeledImage> images) {
    return Publisher.publish(
        pipeline.settings(),
        topic,
        pipeline.serde(LabeledImage.class).serializer(),
        images.iterator(),
        done -> {});
  }

  /** Every record of {@code topic} up to the end it has now, each partition in offset order. */
  public static List<ConsumerRecord<byte[], byte[]>> readAll(Pipeline pipeline, String topic) {
    List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
    TopicReader.read(pipeline.settings().consumerProps(null), topic, all::add);
    return all;
  }

  /** A consumer without a group on every partition of {@code topic}, from the beginning. */
  public static KafkaConsumer<byte[], byte[]> fromBeginning(Pipeline pipeline, String topic) {
    KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(pipeline.settings().consumerProps(null));
    List<TopicPartition> partitions =
        consumer.partitionsFor(topic).stream()
            .map(p -> new TopicPartition(p.topic(), p.partition()))
            .toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    return consumer;
  }
}
