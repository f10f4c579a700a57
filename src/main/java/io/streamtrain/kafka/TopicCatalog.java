package io.streamtrain.kafka;

import io.streamtrain.config.Settings;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * The topics of DESIGN.md's table with their partition counts and configs, and their idempotent
 * creation: missing topics are created, existing ones are left alone but checked, and a difference
 * between what exists and what streamtrain expects is reported, never ignored.
 */
public final class TopicCatalog {
  public static final int DEFAULT_INFER_PARTITIONS = 4;
  public static final int SNAPSHOT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

  /** How long a superseded snapshot's records stay readable (min.compaction.lag.ms). */
  public static final long SNAPSHOT_READ_GRACE_MS = 30_000;

  public static final String CREATED = "created";
  public static final String EXISTS = "exists";
  public static final String DIFFERS_PREFIX = "exists, config differs: ";

  private static final long ADMIN_TIMEOUT_SECONDS = 30;
  private static final long METADATA_RETRY_MS = 50;

  private TopicCatalog() {}

  /** One topic: its name, partition count and the topic configs streamtrain relies on. */
  public record TopicSpec(String name, int partitions, Map<String, String> configs) {
    public TopicSpec {
      if (partitions < 1) {
        throw new IllegalArgumentException(
            "Topic " + name + " needs at least 1 partition, got " + partitions);
      }
      configs = Map.copyOf(configs);
    }

    /** Replication factor left to the broker's default.replication.factor. */
    public NewTopic toNewTopic() {
      return new NewTopic(name, Optional.of(partitions), Optional.empty()).configs(configs);
    }
  }

  /** The specs with the default partition count for images.infer and predictions. */
  public static List<TopicSpec> specs(TopicNames names) {
    return specs(names, DEFAULT_INFER_PARTITIONS);
  }

  /**
   * The specs of every topic. {@code inferPartitions} sets images.infer and predictions, the topics
   * predictors scale out on; every other topic has one partition.
   */
  public static List<TopicSpec> specs(TopicNames names, int inferPartitions) {
    if (inferPartitions < 1) {
      throw new IllegalArgumentException(
          "The number of inference partitions must be at least 1, got " + inferPartitions);
    }
    String forever = "-1";
    List<TopicSpec> specs = new ArrayList<>();
    specs.add(
        new TopicSpec(names.imagesTrain(), 1, Map.of(TopicConfig.RETENTION_MS_CONFIG, forever)));
    specs.add(
        new TopicSpec(names.imagesTest(), 1, Map.of(TopicConfig.RETENTION_MS_CONFIG, forever)));
    // Exactly one partition: the trainer's batch composition must be a function of feed offsets
    // only, so a crashed trainer that replays the feed rebuilds the same batches. With several
    // partitions, how records interleave would depend on poll timing.
    // LogAppendTime: replayed records keep their original timestamps, which may be days old;
    // with CreateTime the retention would then delete a fresh replay at the next check. One day:
    // the trainer reads the windows it holds back from the feed (after a restart, or when the
    // feed runs ahead of training), so the feed must outlive them.
    specs.add(feedSpec(names.trainFeed()));
    // The live tail's lane of the feed, read by the same task: a live event waits for none of the
    // replayed records written before it (see TrainingTopology). Same layout as the feed.
    specs.add(feedSpec(names.liveFeed()));
    specs.add(new TopicSpec(names.imagesInfer(), inferPartitions, Map.of()));
    specs.add(new TopicSpec(names.predictions(), inferPartitions, Map.of()));
    // Compacted to the newest snapshot per model name. Short segments let the cleaner drop
    // superseded multi-MB snapshots soon instead of when a 1 GB segment fills; the compaction lag
    // leaves a reader that found a manifest time to read its chunks before a newer version's
    // take their keys.
    specs.add(
        new TopicSpec(
            names.modelSnapshots(),
            1,
            Map.of(
                TopicConfig.CLEANUP_POLICY_CONFIG,
                TopicConfig.CLEANUP_POLICY_COMPACT,
                TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                String.valueOf(SNAPSHOT_MAX_MESSAGE_BYTES),
                TopicConfig.SEGMENT_MS_CONFIG,
                "60000",
                TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG,
                String.valueOf(SNAPSHOT_READ_GRACE_MS))));
    // TorchScript modules by SHA-256: one record per module ever trained, kept forever
    // (compaction only drops a republished copy), sized for the largest module.
    specs.add(
        new TopicSpec(
            names.modelDefinitions(),
            1,
            Map.of(
                TopicConfig.CLEANUP_POLICY_CONFIG,
                TopicConfig.CLEANUP_POLICY_COMPACT,
                TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                String.valueOf(Settings.MODULE_RECORD_MAX_BYTES))));
    specs.add(
        new TopicSpec(
            names.trainingMetrics(),
            1,
            Map.of(TopicConfig.RETENTION_MS_CONFIG, String.valueOf(7L * 24 * 3600 * 1000))));
    specs.add(
        new TopicSpec(names.imagesDlq(), 1, Map.of(TopicConfig.RETENTION_MS_CONFIG, forever)));
    return List.copyOf(specs);
  }

  private static TopicSpec feedSpec(String name) {
    return new TopicSpec(
        name,
        1,
        Map.of(
            TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
            TopicConfig.RETENTION_MS_CONFIG, "86400000",
            TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime"));
  }

  /** Creates every topic with default partition counts; see {@link #create(Admin, List)}. */
  public static Map<String, String> create(Admin admin, TopicNames names) {
    return create(admin, specs(names));
  }

  /** Creates every topic; see {@link #create(Admin, List)}. */
  public static Map<String, String> create(Admin admin, TopicNames names, int inferPartitions) {
    return create(admin, specs(names, inferPartitions));
  }

  /**
   * Creates the missing topics among {@code specs} and checks the existing ones. Returns, per topic
   * name in spec order, {@link #CREATED}, {@link #EXISTS}, or {@link #DIFFERS_PREFIX} followed by
   * the differences, e.g. {@code exists, config differs: retention.ms=604800000 (expected -1)}.
   */
  public static Map<String, String> create(Admin admin, List<TopicSpec> specs) {
    Set<String> existing = await(admin.listTopics().names(), "list the topics");
    List<TopicSpec> missing = specs.stream().filter(s -> !existing.contains(s.name())).toList();
    Map<String, String> result = new LinkedHashMap<>();
    List<TopicSpec> toCheck =
        new ArrayList<>(specs.stream().filter(s -> existing.contains(s.name())).toList());
    if (!missing.isEmpty()) {
      CreateTopicsResult created =
          admin.createTopics(missing.stream().map(TopicSpec::toNewTopic).toList());
      for (TopicSpec spec : missing) {
        try {
          created.values().get(spec.name()).get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
          result.put(spec.name(), CREATED);
        } catch (ExecutionException e) {
          if (e.getCause() instanceof TopicExistsException) {
            toCheck.add(spec); // Created concurrently by someone else: check it like the others.
          } else {
            throw failure("create topic " + spec.name(), e);
          }
        } catch (TimeoutException e) {
          throw failure("create topic " + spec.name(), e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("Interrupted while creating topic " + spec.name(), e);
        }
      }
    }
    result.putAll(check(admin, toCheck));
    // Callers produce right after this returns: wait until the broker serves the new topics.
    describeWhenVisible(
        admin, missing.stream().map(TopicSpec::name).filter(result::containsKey).toList());
    Map<String, String> ordered = new LinkedHashMap<>();
    specs.forEach(s -> ordered.put(s.name(), result.get(s.name())));
    return ordered;
  }

  /** Compares existing topics with their specs: partition count and every spec'd config. */
  private static Map<String, String> check(Admin admin, Collection<TopicSpec> specs) {
    Map<String, String> result = new LinkedHashMap<>();
    if (specs.isEmpty()) {
      return result;
    }
    List<String> names = specs.stream().map(TopicSpec::name).toList();
    Map<String, TopicDescription> descriptions = describeWhenVisible(admin, names);
    List<ConfigResource> resources =
        names.stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
    Map<ConfigResource, Config> configs =
        await(admin.describeConfigs(resources).all(), "describe the configs of " + names);
    for (TopicSpec spec : specs) {
      List<String> differences = new ArrayList<>();
      int partitions = descriptions.get(spec.name()).partitions().size();
      if (partitions != spec.partitions()) {
        differences.add("partitions=" + partitions + " (expected " + spec.partitions() + ")");
      }
      Config config = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, spec.name()));
      for (Map.Entry<String, String> want : new TreeMap<>(spec.configs()).entrySet()) {
        ConfigEntry entry = config.get(want.getKey());
        String actual = entry == null ? null : entry.value();
        if (!want.getValue().equals(actual)) {
          differences.add(want.getKey() + "=" + actual + " (expected " + want.getValue() + ")");
        }
      }
      result.put(
          spec.name(),
          differences.isEmpty() ? EXISTS : DIFFERS_PREFIX + String.join(", ", differences));
    }
    return result;
  }

  /**
   * Describes topics, retrying while the broker does not know them yet: a topic the controller has
   * just created reaches the broker's metadata a moment later.
   */
  private static Map<String, TopicDescription> describeWhenVisible(
      Admin admin, List<String> names) {
    if (names.isEmpty()) {
      return Map.of();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(ADMIN_TIMEOUT_SECONDS);
    while (true) {
      try {
        return admin
            .describeTopics(names)
            .allTopicNames()
            .get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)
            || System.nanoTime() > deadline) {
          throw failure("describe topics " + names, e);
        }
      } catch (TimeoutException e) {
        throw failure("describe topics " + names, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while describing topics " + names, e);
      }
      try {
        Thread.sleep(METADATA_RETRY_MS); // Backoff before asking the broker again.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while describing topics " + names, e);
      }
    }
  }

  private static <T> T await(KafkaFuture<T> future, String what) {
    try {
      return future.get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw failure(what, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while trying to " + what, e);
    }
  }

  private static IllegalStateException failure(String what, Exception e) {
    Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
    String detail =
        cause instanceof TimeoutException
            ? "no answer within " + ADMIN_TIMEOUT_SECONDS + " s"
            : cause.getMessage();
    return new IllegalStateException(
        "Cannot "
            + what
            + ": "
            + detail
            + " (is the broker reachable, and may this client manage topics?)",
        cause);
  }
}
