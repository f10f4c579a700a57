package io.streamtrain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class GroupLivenessTest {
  private static final String SESSION = StreamsConfig.mainConsumerPrefix("session.timeout.ms");
  private static final String HEARTBEAT =
      StreamsConfig.mainConsumerPrefix("heartbeat.interval.ms");

  @Test
  void shouldGiveTheMainConsumerAShortSessionByDefault() {
    Properties props = new Properties();
    GroupLiveness.applyDefaults(props);
    assertEquals("6000", props.get(SESSION));
    assertEquals("2000", props.get(HEARTBEAT));
    // Both as a Streams app resolves them for its main consumer.
    var config = new StreamsConfig(withRequired(props)).getMainConsumerConfigs("g", "c", 0);
    assertEquals("6000", String.valueOf(config.get("session.timeout.ms")));
    assertEquals("2000", String.valueOf(config.get("heartbeat.interval.ms")));
  }

  @Test
  void shouldLeaveBothAloneWhenTheUserSetEitherPlainOrPrefixed() {
    for (String name :
        new String[] {
          "session.timeout.ms",
          "heartbeat.interval.ms",
          StreamsConfig.consumerPrefix("session.timeout.ms"),
          HEARTBEAT
        }) {
      Properties props = new Properties();
      props.put(name, "45000");
      GroupLiveness.applyDefaults(props);
      assertEquals(1, props.size(), name);
      assertFalse(props.containsKey(SESSION) && !name.equals(SESSION), name);
    }
  }

  private static Properties withRequired(Properties props) {
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "g");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092");
    return props;
  }
}
