package io.streamtrain.app;

import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * How long the group coordinator waits for a member that is gone without leaving, for the trainer
 * and the predictor. A member leaves without a LeaveGroup when its process dies, when Streams
 * replaces a failed stream thread, and when a thread fenced after a broker restart (its open
 * transaction aborted by the returning coordinator) rejoins before it has found the coordinator
 * again: the leave is a single best-effort request, skipped while the coordinator is unknown. Until
 * that member's session expires, the rejoin's rebalance waits and nothing is trained or served:
 * with Kafka's default session (45 s), a short broker outage cost the trainer that long.
 *
 * <p>A short session is safe under exactly_once_v2: heartbeats come from the consumer's own thread
 * (a long training step does not delay them), and a member whose session expires by mistake is
 * fenced by its generation, so its task restarts from the committed state and newest snapshot, as
 * after a crash. The cost of a false expiry is one rebalance. Six seconds is the least a broker
 * accepts by default ({@code group.min.session.timeout.ms}); a broker that requires more refuses
 * the join, and {@code session.timeout.ms} in {@code --config} then wins over this.
 */
final class GroupLiveness {
  static final int SESSION_TIMEOUT_MS = 6000;
  // A third of the session, as Kafka advises: two lost heartbeats do not expire it.
  static final int HEARTBEAT_INTERVAL_MS = 2000;

  private GroupLiveness() {}

  /**
   * Sets the session and heartbeat of the Streams app's consumers unless the user set either (plain
   * or with a Streams consumer prefix), so that a user's value is never paired with ours.
   */
  static void applyDefaults(Properties props) {
    for (String name :
        new String[] {
          ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG
        }) {
      if (props.containsKey(name)
          || props.containsKey(StreamsConfig.consumerPrefix(name))
          || props.containsKey(StreamsConfig.mainConsumerPrefix(name))) {
        return;
      }
    }
    props.put(
        StreamsConfig.mainConsumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG),
        String.valueOf(SESSION_TIMEOUT_MS));
    props.put(
        StreamsConfig.mainConsumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG),
        String.valueOf(HEARTBEAT_INTERVAL_MS));
  }
}
