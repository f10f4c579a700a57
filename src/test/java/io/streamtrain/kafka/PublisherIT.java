package io.streamtrain.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.streamtrain.app.Pipeline;
import io.streamtrain.app.TestPipelines;
import io.streamtrain.schema.LabeledImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class PublisherIT {
  @RegisterExtension static final EmbeddedKafkaExtension broker = new EmbeddedKafkaExtension();
  @TempDir Path stateDir;

  @Test
  void shouldPublishImagesThatDecodeEqualKeyedById() {
    Pipeline pipeline = TestPipelines.create(broker.broker(), stateDir, Map.of());
    List<LabeledImage> images = TestPipelines.images("img", 1000, 1);
    String topic = pipeline.names().imagesTrain();
    Publisher.Summary summary = TestPipelines.publish(pipeline, topic, images);
    assertEquals(1000, summary.count());

    Map<String, LabeledImage> read = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : TestPipelines.readAll(pipeline, topic)) {
      LabeledImage image =
          pipeline.serde(LabeledImage.class).deserializer().deserialize(topic, r.value());
      assertEquals(image.getId(), new String(r.key(), StandardCharsets.UTF_8));
      read.put(image.getId(), image);
    }
    assertEquals(1000, read.size());
    for (LabeledImage sent : images) {
      assertEquals(sent, read.get(sent.getId()));
    }
  }
}
