package io.streamtrain.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class TopicCatalogIT {
  @RegisterExtension static final EmbeddedKafkaExtension kafka = new EmbeddedKafkaExtension();

  @Test
  void shouldCreateEveryTopicWithItsPartitionsAndConfigs() throws Exception {
    TopicNames names = TopicNames.withPrefix("t" + UUID.randomUUID() + ".");
    List<TopicCatalog.TopicSpec> specs = TopicCatalog.specs(names, 3);

    Map<String, String> result = TopicCatalog.create(kafka.admin(), names, 3);

    assertEquals(names.all(), List.copyOf(result.keySet()));
    result.values().forEach(status -> assertEquals(TopicCatalog.CREATED, status));
    Map<String, TopicDescription> descriptions =
        kafka.admin().describeTopics(names.all()).allTopicNames().get(30, TimeUnit.SECONDS);
    Map<ConfigResource, Config> configs =
        kafka
            .admin()
            .describeConfigs(
                names.all().stream()
                    .map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n))
                    .toList())
            .all()
            .get(30, TimeUnit.SECONDS);
    for (TopicCatalog.TopicSpec spec : specs) {
      assertEquals(
          spec.partitions(), descriptions.get(spec.name()).partitions().size(), spec.name());
      Config config = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, spec.name()));
      spec.configs()
          .forEach(
              (key, value) ->
                  assertEquals(value, config.get(key).value(), spec.name() + " " + key));
    }
    assertEquals(1, descriptions.get(names.trainFeed()).partitions().size());
    assertEquals(3, descriptions.get(names.imagesInfer()).partitions().size());
    Config snapshots =
        configs.get(new ConfigResource(ConfigResource.Type.TOPIC, names.modelSnapshots()));
    assertEquals("compact", snapshots.get("cleanup.policy").value());
    assertEquals("16777216", snapshots.get("max.message.bytes").value());
    Config train = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, names.imagesTrain()));
    assertEquals("-1", train.get("retention.ms").value());
  }

  @Test
  void shouldLeaveExistingTopicsAloneOnASecondCall() {
    TopicNames names = TopicNames.withPrefix("t" + UUID.randomUUID() + ".");
    TopicCatalog.create(kafka.admin(), names);

    Map<String, String> second = TopicCatalog.create(kafka.admin(), names);

    assertEquals(names.all(), List.copyOf(second.keySet()));
    second.values().forEach(status -> assertEquals(TopicCatalog.EXISTS, status));
  }

  @Test
  void shouldReportAnExistingTopicWhoseConfigDiffers() throws Exception {
    TopicNames names = TopicNames.withPrefix("t" + UUID.randomUUID() + ".");
    kafka
        .admin()
        .createTopics(
            List.of(
                new NewTopic(names.trainFeed(), 2, (short) 1)
                    .configs(Map.of("retention.ms", "1000"))))
        .all()
        .get(30, TimeUnit.SECONDS);

    Map<String, String> result = TopicCatalog.create(kafka.admin(), names);

    String feed = result.get(names.trainFeed());
    assertTrue(feed.startsWith(TopicCatalog.DIFFERS_PREFIX), feed);
    assertTrue(feed.contains("partitions=2 (expected 1)"), feed);
    assertTrue(feed.contains("retention.ms=1000 (expected 86400000)"), feed);
    Map<String, Long> counts =
        result.values().stream().collect(Collectors.groupingBy(s -> s, Collectors.counting()));
    assertEquals(names.all().size() - 1, counts.get(TopicCatalog.CREATED));
  }
}
