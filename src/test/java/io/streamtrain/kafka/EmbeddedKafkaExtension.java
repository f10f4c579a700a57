package io.streamtrain.kafka;

import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One embedded broker per test class, started before its first test and closed after its last:
 * register it on a static field with {@code @RegisterExtension}.
 *
 * <pre>{@code
 * @RegisterExtension static final EmbeddedKafkaExtension kafka = new EmbeddedKafkaExtension();
 * }</pre>
 */
public final class EmbeddedKafkaExtension implements BeforeAllCallback, AfterAllCallback {
  private final Map<String, String> brokerOverrides;
  private EmbeddedKafka broker;
  private Admin admin;

  public EmbeddedKafkaExtension() {
    this(Map.of());
  }

  /** With broker properties that win over {@link EmbeddedKafka}'s defaults. */
  public EmbeddedKafkaExtension(Map<String, String> brokerOverrides) {
    this.brokerOverrides = Map.copyOf(brokerOverrides);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    broker = EmbeddedKafka.start(0, null, brokerOverrides);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (admin != null) {
      admin.close();
      admin = null;
    }
    if (broker != null) {
      broker.close();
      broker = null;
    }
  }

  /** The running broker; only between the class's first and last test. */
  public EmbeddedKafka broker() {
    if (broker == null) {
      throw new IllegalStateException(
          "The embedded broker runs only while the test class runs: register this extension on"
              + " a static field with @RegisterExtension");
    }
    return broker;
  }

  public String bootstrap() {
    return broker().bootstrap();
  }

  public int port() {
    return broker().port();
  }

  public Properties clientProperties() {
    return broker().clientProperties();
  }

  /** One admin client on the broker for the class's tests, closed with the broker. */
  public synchronized Admin admin() {
    if (admin == null) {
      admin = Admin.create(clientProperties());
    }
    return admin;
  }
}
