package io.streamtrain.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TopicNamesTest {
  @Test
  void shouldPrefixEveryTopicName() {
    TopicNames names = TopicNames.withPrefix("exp1.");
    assertEquals("exp1.images.train", names.imagesTrain());
    assertEquals("exp1.train.feed", names.trainFeed());
    assertEquals("exp1.train.feed.live", names.liveFeed());
    assertEquals("exp1.images.dlq", names.imagesDlq());
    assertEquals(10, names.all().stream().distinct().count());
    names.all().forEach(n -> assertEquals(true, n.startsWith("exp1."), n));
  }

  @Test
  void shouldUseTheDesignNamesWithoutPrefix() {
    assertEquals("images.train", TopicNames.withPrefix("").imagesTrain());
    assertEquals("model.snapshots", TopicNames.DEFAULT.modelSnapshots());
  }

  @Test
  void shouldRejectAPrefixKafkaCannotUseInTopicNames() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> TopicNames.withPrefix("bad prefix/"));
    assertEquals(true, e.getMessage().startsWith("Invalid topic prefix 'bad prefix/'"));
  }
}
