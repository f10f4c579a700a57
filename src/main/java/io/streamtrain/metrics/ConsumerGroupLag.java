package io.streamtrain.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumer lag of one group (a Streams application's id is its group id): per partition, the end
 * offset a read_committed consumer can reach minus the group's committed offset, refreshed with the
 * Admin API in the background. Unlike the consumers' own {@code records-lag-max}, it is right
 * whichever instance owns a partition, and also while no instance runs.
 *
 * <p>As Prometheus shows it: {@code streamtrain_consumer_lag_records{group,topic,partition}} and
 * {@code streamtrain_consumer_lag_total_records{group}}; failed refreshes count in {@code
 * streamtrain_consumer_lag_refresh_failures_total}.
 */
public final class ConsumerGroupLag implements MeterBinder, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ConsumerGroupLag.class);

  private final Admin admin;
  private final String groupId;
  private final Duration refreshEvery;
  private final ScheduledExecutorService scheduler;
  private final AtomicLong total = new AtomicLong(-1);
  private MultiGauge perPartition;
  private Counter failures;
  private String lastFailure;

  public ConsumerGroupLag(Properties adminProps, String groupId, Duration refreshEvery) {
    if (refreshEvery.isNegative() || refreshEvery.isZero()) {
      throw new IllegalArgumentException("The lag refresh interval must be positive");
    }
    this.admin = Admin.create(adminProps);
    this.groupId = groupId;
    this.refreshEvery = refreshEvery;
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "consumer-lag-" + groupId);
              t.setDaemon(true);
              return t;
            });
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    perPartition =
        MultiGauge.builder("streamtrain.consumer.lag")
            .baseUnit("records")
            .description("Records of a partition the group has not committed yet")
            .tag("group", groupId)
            .register(registry);
    Gauge.builder("streamtrain.consumer.lag.total", total, t -> t.get() < 0 ? Double.NaN : t.get())
        .baseUnit("records")
        .tag("group", groupId)
        .description("Records of all partitions the group has not committed yet")
        .register(registry);
    failures =
        Counter.builder("streamtrain.consumer.lag.refresh.failures")
            .tag("group", groupId)
            .description("Lag refreshes that failed (broker unreachable, group unknown, ...)")
            .register(registry);
    scheduler.scheduleWithFixedDelay(
        this::refreshQuietly, 0, refreshEvery.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Reads committed and end offsets now and updates the meters; returns the lag per partition. */
  public Map<TopicPartition, Long> refresh() {
    Map<TopicPartition, Long> lag =
        new TreeMap<>(
            (a, b) ->
                a.topic().equals(b.topic())
                    ? Integer.compare(a.partition(), b.partition())
                    : a.topic().compareTo(b.topic()));
    try {
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin
              .listConsumerGroupOffsets(groupId)
              .partitionsToOffsetAndMetadata()
              .get(30, TimeUnit.SECONDS);
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      committed.keySet().forEach(tp -> latest.put(tp, OffsetSpec.latest()));
      Map<TopicPartition, ListOffsetsResultInfo> ends =
          latest.isEmpty()
              ? Map.of()
              : admin
                  .listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                  .all()
                  .get(30, TimeUnit.SECONDS);
      committed.forEach(
          (tp, offset) -> {
            ListOffsetsResultInfo end = ends.get(tp);
            if (offset != null && end != null) {
              lag.put(tp, Math.max(0, end.offset() - offset.offset()));
            }
          });
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while reading the lag of group " + groupId, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "Cannot read the lag of consumer group "
              + groupId
              + ": "
              + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()),
          e);
    }
    if (perPartition != null) {
      List<MultiGauge.Row<?>> rows = new ArrayList<>();
      lag.forEach(
          (tp, records) ->
              rows.add(
                  MultiGauge.Row.of(
                      Tags.of("topic", tp.topic(), "partition", String.valueOf(tp.partition())),
                      records)));
      perPartition.register(rows, true);
    }
    total.set(lag.values().stream().mapToLong(Long::longValue).sum());
    return lag;
  }

  private void refreshQuietly() {
    try {
      refresh();
      lastFailure = null;
    } catch (RuntimeException e) {
      if (Thread.currentThread().isInterrupted()) {
        return; // closing
      }
      failures.increment();
      // Log a failure when it starts or changes, not every few seconds while it lasts.
      if (!e.getMessage().equals(lastFailure)) {
        LOG.warn("{} (retrying every {} s)", e.getMessage(), refreshEvery.toSeconds());
        lastFailure = e.getMessage();
      }
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    admin.close(Duration.ofSeconds(5));
  }
}
