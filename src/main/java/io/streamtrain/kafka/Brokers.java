package io.streamtrain.kafka;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.KafkaException;

/** Reachability check shared by every command: "is there a broker, and does it answer?" */
public final class Brokers {
  private Brokers() {}

  /**
   * Returns once the cluster at {@code adminProps}' bootstrap servers answers describeCluster with
   * at least one broker, or throws {@link BrokerUnreachableException} after {@code timeout}.
   */
  public static void awaitReachable(Properties adminProps, Duration timeout) {
    if (timeout.compareTo(FIRST_TRY.multipliedBy(2)) <= 0) {
      check(adminProps, timeout, timeout);
      return;
    }
    try {
      check(adminProps, FIRST_TRY, timeout);
    } catch (BrokerUnreachableException e) {
      // A container started beside its broker waits for it, and says so once.
      System.err.println(
          "streamtrain: Kafka at "
              + adminProps.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG)
              + " does not answer yet; waiting up to "
              + formatSeconds(timeout.minus(FIRST_TRY))
              + " more");
      check(adminProps, timeout.minus(FIRST_TRY), timeout);
    }
  }

  private static final Duration FIRST_TRY = Duration.ofSeconds(3);

  /** One wait of {@code timeout}; the failure names {@code total}, all the caller waited. */
  private static void check(Properties adminProps, Duration timeout, Duration total) {
    String bootstrap = String.valueOf(adminProps.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG));
    long timeoutMs = Math.max(1, timeout.toMillis());
    Properties props = new Properties();
    props.putAll(adminProps);
    // The admin client retries connecting on its own until the call's timeout; these keep its
    // internal timeouts from ending the wait earlier than the caller asked for.
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) Math.min(timeoutMs, 600_000));
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeoutMs, 600_000));
    props.putIfAbsent(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500);
    String failure =
        "Cannot reach Kafka at "
            + bootstrap
            + " within "
            + formatSeconds(total)
            + " (is the broker running? start one with: java -jar target/streamtrain.jar broker)";
    Admin admin;
    try {
      admin = Admin.create(props);
    } catch (KafkaException e) {
      // Unresolvable host names end up here, before any connection attempt.
      throw new BrokerUnreachableException(failure + ": " + rootMessage(e), e);
    }
    try {
      int brokers =
          admin
              .describeCluster(new DescribeClusterOptions().timeoutMs((int) timeoutMs))
              .nodes()
              .get(timeoutMs + 1_000, TimeUnit.MILLISECONDS)
              .size();
      if (brokers == 0) {
        throw new BrokerUnreachableException(failure + ": the cluster has no live broker", null);
      }
    } catch (ExecutionException | TimeoutException e) {
      throw new BrokerUnreachableException(failure, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BrokerUnreachableException(
          "Interrupted while waiting for Kafka at " + bootstrap, e);
    } finally {
      admin.close(Duration.ofSeconds(1));
    }
  }

  private static String formatSeconds(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? (ms / 1000) + " s" : String.format("%.1f s", ms / 1000.0);
  }

  private static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }
}
