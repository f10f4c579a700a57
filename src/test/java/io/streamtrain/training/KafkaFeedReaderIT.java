package io.streamtrain.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.kafka.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** Reading a window back from a real topic, and the error when retention has removed it. */
class KafkaFeedReaderIT {

  @Test
  void shouldReadARangeInOrderAndRefuseOneThatRetentionRemoved() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(0, null);
        Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrap()))) {
      admin.createTopics(List.of(new NewTopic("feed", 1, (short) 1))).all().get();
      try (KafkaProducer<byte[], byte[]> producer =
          new KafkaProducer<>(
              Map.of(
                  ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap(),
                  ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                  ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
        for (int i = 0; i < 10; i++) {
          producer.send(new ProducerRecord<>("feed", 0, null, bytes("v" + i))).get();
        }
      }
      Properties props = new Properties();
      props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap());
      props.put(
          ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
      props.put(
          ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
      try (KafkaFeedReader reader = new KafkaFeedReader(props)) {
        List<String> read = new ArrayList<>();
        List<Long> offsets = new ArrayList<>();
        reader.read(
            "feed-0",
            2,
            6,
            (offset, headers, value) -> {
              offsets.add(offset);
              read.add(new String(value, StandardCharsets.UTF_8));
            });
        assertEquals(List.of(2L, 3L, 4L, 5L, 6L), offsets);
        assertEquals(List.of("v2", "v3", "v4", "v5", "v6"), read);

        // What a retention check does to old segments: the log now starts at offset 5.
        admin
            .deleteRecords(Map.of(new TopicPartition("feed", 0), RecordsToDelete.beforeOffset(5)))
            .all()
            .get();
        IllegalStateException gone =
            assertThrows(
                IllegalStateException.class,
                () -> reader.read("feed-0", 3, 7, (offset, headers, value) -> {}));
        assertTrue(gone.getMessage().contains("no longer in the topic"), gone.getMessage());
        List<Long> still = new ArrayList<>();
        reader.read("feed-0", 5, 9, (offset, headers, value) -> still.add(offset));
        assertEquals(List.of(5L, 6L, 7L, 8L, 9L), still);
      }
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
