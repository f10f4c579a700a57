package io.streamtrain.metrics;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streamtrain.training.TrainingListener;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Properties;
import java.util.function.LongSupplier;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The metrics of one streamtrain process: a Prometheus registry tagged with the application
 * (trainer, predictor) and model, the JVM's meters, the HTTP endpoint, and whatever is bound to it
 * later (Kafka Streams client metrics, consumer-group lag). Closing it closes all of them.
 *
 * <pre>{@code
 * try (Monitoring monitoring = Monitoring.start(9464, "trainer", "fashion-mlp")) {
 *   TrainingListener listener = monitoring.trainingListener(printer);
 *   ... new KafkaStreams(...) ... start() ...
 *   monitoring.bindStreams(streams);
 *   monitoring.bindConsumerLag(settings.adminProps(), applicationId);
 * }
 * }</pre>
 */
public final class Monitoring implements AutoCloseable {
  /** How often consumer lag is read from the brokers. */
  public static final Duration LAG_REFRESH = Duration.ofSeconds(10);

  private final PrometheusMeterRegistry registry;
  private final MetricsServer server;
  private final Deque<AutoCloseable> closeables = new ArrayDeque<>();

  private Monitoring(PrometheusMeterRegistry registry, MetricsServer server) {
    this.registry = registry;
    this.server = server;
  }

  /**
   * A registry with the JVM's meters, served at {@code http://HOST:port/metrics} (0: any free
   * port).
   *
   * @param application "trainer" or "predictor": the {@code application} tag of every meter
   */
  public static Monitoring start(int port, String application, String modelName) {
    PrometheusMeterRegistry registry = newRegistry(application, modelName);
    Monitoring monitoring;
    try {
      monitoring = new Monitoring(registry, MetricsServer.start(port, registry));
    } catch (RuntimeException e) {
      registry.close();
      throw e;
    }
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    monitoring.closeables.push(gc);
    return monitoring;
  }

  /** A Prometheus registry with the common tags and the JVM and process meters (not served). */
  public static PrometheusMeterRegistry newRegistry(String application, String modelName) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().commonTags("application", application, "model", modelName);
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    return registry;
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  public int port() {
    return server.port();
  }

  /** What {@code GET /ready} on the metrics port answers: 200 while {@code ready} holds, else 503. */
  public void readiness(java.util.function.BooleanSupplier ready) {
    server.readiness(ready);
  }

  /** {@code http://localhost:PORT/metrics}. */
  public URI uri() {
    return server.uri();
  }

  /**
   * Kafka Streams client, thread, task and embedded-client metrics, among them the consumers'
   * {@code kafka_consumer_fetch_manager_records_lag_max}. Bind after {@code streams.start()}: the
   * binder sees metrics added later only on its once-a-minute refresh.
   */
  public synchronized void bindStreams(KafkaStreams streams) {
    KafkaStreamsMetrics metrics = new KafkaStreamsMetrics(streams);
    metrics.bindTo(registry);
    closeables.push(metrics);
  }

  /** Lag of consumer group {@code groupId} (a Streams app's application id), from the brokers. */
  public synchronized void bindConsumerLag(Properties adminProps, String groupId) {
    ConsumerGroupLag lag = new ConsumerGroupLag(adminProps, groupId, LAG_REFRESH);
    lag.bindTo(registry);
    closeables.push(lag);
  }

  /** A listener recording the trainer's meters, passing every call on to {@code next}. */
  public TrainingMetricsListener trainingListener(TrainingListener next) {
    return new TrainingMetricsListener(registry, next);
  }

  /** The predictor's meters; {@code servedModelVersion} is read at each scrape. */
  public PredictionMetrics predictionMetrics(LongSupplier servedModelVersion) {
    return new PredictionMetrics(registry, servedModelVersion);
  }

  /** Stops serving, then closes the binders (newest first) and the registry. */
  @Override
  public synchronized void close() {
    server.close();
    RuntimeException failure = null;
    while (!closeables.isEmpty()) {
      try {
        closeables.pop().close();
      } catch (Exception e) {
        if (failure == null) {
          failure =
              new IllegalStateException("Cannot close a metrics binder: " + e.getMessage(), e);
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    registry.close();
    if (failure != null) {
      throw failure;
    }
  }
}
