package io.streamtrain.app;

import io.streamtrain.config.Settings;
import io.streamtrain.config.SettingsLoader;
import io.streamtrain.data.FashionMnist;
import io.streamtrain.data.LabeledDataset;
import io.streamtrain.data.LabeledImages;
import io.streamtrain.data.Split;
import io.streamtrain.kafka.EmbeddedKafka;
import io.streamtrain.kafka.Replayer;
import io.streamtrain.kafka.TopicCatalog;
import io.streamtrain.registry.InMemorySchemaStore;
import io.streamtrain.registry.RegistryServer;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.NamedTensor;
import io.streamtrain.snapshots.ChunkLocations;
import io.streamtrain.snapshots.Snapshots;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;

/**
 * One integration-test world: a broker (the embedded one, or any bootstrap such as a Testcontainers
 * broker), a Confluent-compatible registry served over HTTP so that child processes agree on schema
 * ids, a fresh topic prefix, and the steps the crash-safety tests share: create topics, produce
 * images, replay epochs, build settings for a trainer, read snapshots back.
 */
public final class Scenario implements AutoCloseable {
  /** Hyperparameters of the crash tests: small windows and frequent snapshots keep them fast. */
  public static final Map<String, String> FAST_TRAINING =
      Map.of(
          "preset", "good",
          "seed", "7",
          "batch-size", "64",
          "shuffle-window", "512",
          "snapshot-every", "20",
          "snapshot-seconds", "0",
          "metrics-every", "10",
          "device", "cpu");

  /**
   * Broker settings that make a killed trainer's restart quick: an abandoned transaction is aborted
   * within about a second of its timeout instead of ten.
   */
  public static final Map<String, String> FAST_RECOVERY_BROKER =
      Map.of("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000");

  private final EmbeddedKafka broker;
  private final String bootstrap;
  private final RegistryServer registry;
  private final String prefix = "t" + UUID.randomUUID().toString().replace("-", "") + ".";
  private final Path workDir;
  private final List<Child> children = new ArrayList<>();
  private Pipeline pipeline;

  private Scenario(EmbeddedKafka broker, String bootstrap) {
    this.broker = broker;
    this.bootstrap = bootstrap;
    this.registry = RegistryServer.start(0, new InMemorySchemaStore());
    try {
      this.workDir = Files.createTempDirectory("streamtrain-it-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A fresh embedded broker (deleted on close) tuned for fast crash recovery. */
  public static Scenario embedded() {
    return embedded(Map.of());
  }

  /** As {@link #embedded()}, with {@code brokerOverrides} on top (e.g. an eager log cleaner). */
  public static Scenario embedded(Map<String, String> brokerOverrides) {
    Map<String, String> broker = new HashMap<>(FAST_RECOVERY_BROKER);
    broker.putAll(brokerOverrides);
    return new Scenario(EmbeddedKafka.start(0, null, broker), null);
  }

  /**
   * A scenario on a broker someone else runs (e.g. a Testcontainers Kafka). Without {@link
   * #FAST_RECOVERY_BROKER} a trainer restarted on a fresh state directory waits up to about 20 s
   * for the killed one's open transaction to be aborted.
   */
  public static Scenario onBootstrap(String bootstrap) {
    return new Scenario(null, bootstrap);
  }

  public String bootstrap() {
    return broker != null ? broker.bootstrap() : bootstrap;
  }

  /** The embedded broker, to stop and restart it; empty on an external one. */
  public Optional<EmbeddedKafka> broker() {
    return Optional.ofNullable(broker);
  }

  public String registryUrl() {
    return registry.url();
  }

  public String topicPrefix() {
    return prefix;
  }

  /** A new empty directory under this scenario's work directory. */
  public Path newDir(String name) {
    try {
      return Files.createTempDirectory(workDir, name + "-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Settings as the commands resolve them (no properties file, no environment), for {@code
   * modelName}, with {@link #FAST_TRAINING} overridden by {@code flags}.
   */
  public Settings settings(String modelName, Path stateDir, Map<String, String> flags) {
    Map<String, String> all = new HashMap<>(FAST_TRAINING);
    all.putAll(flags);
    all.put("bootstrap", bootstrap());
    all.put("registry", registryUrl());
    all.put("topic-prefix", prefix);
    all.put("model-name", modelName);
    all.put("state-dir", stateDir.toString());
    return SettingsLoader.load(null, Map.of(), all);
  }

  /**
   * The arguments of a child {@code train --epochs N} with this scenario's settings ({@link
   * #commandLine}), with {@link #fastRecoveryConfig} when {@code fastRecovery}; a mutable list.
   */
  public List<String> trainCommand(
      int epochs,
      boolean fastRecovery,
      String modelName,
      Path stateDir,
      Map<String, String> flags) {
    List<String> args = new ArrayList<>(List.of("train", "--epochs", String.valueOf(epochs)));
    if (fastRecovery) {
      args.addAll(List.of("--config", fastRecoveryConfig().toString()));
    }
    args.addAll(commandLine(modelName, stateDir, flags));
    return args;
  }

  /** The command-line flags that give a child {@code train} process the same settings. */
  public List<String> commandLine(String modelName, Path stateDir, Map<String, String> flags) {
    Map<String, String> all = new HashMap<>(FAST_TRAINING);
    all.putAll(flags);
    List<String> args = new ArrayList<>();
    args.addAll(List.of("--bootstrap", bootstrap(), "--registry", registryUrl()));
    args.addAll(List.of("--topic-prefix", prefix, "--model-name", modelName));
    args.addAll(List.of("--state-dir", stateDir.toString()));
    all.forEach((name, value) -> args.addAll(List.of("--" + name, value)));
    return args;
  }

  /**
   * Writes a properties file for {@code --config}: client properties that let a restarted trainer
   * take over from a killed one within seconds (the dead member's session must expire first).
   */
  public Path fastRecoveryConfig() {
    Path file = workDir.resolve("fast-recovery.properties");
    try {
      // 6 s is the least a broker accepts by default (group.min.session.timeout.ms).
      Files.writeString(file, "session.timeout.ms=6000\nheartbeat.interval.ms=1500\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  /**
   * Starts {@code streamtrain <args>} in a separate JVM on this JVM's class path, output captured
   * in files under the work directory. PyTorch gets one intra-op thread: runs compared for equal
   * parameters must use the same count, and on a shared 2-core box one thread is many times faster
   * than PyTorch's default.
   */
  public Child launch(String name, List<String> args) {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command = new ArrayList<>();
    command.addAll(
        List.of(
            java.toString(),
            "-Xmx768m",
            "-Dai.djl.offline=true",
            "-Dai.djl.pytorch.num_threads=1",
            "-Dai.djl.pytorch.num_interop_threads=1"));
    // A logging configuration of one's own for the children, to look into a failure.
    String childLogging = System.getProperty("streamtrain.it.child-logback");
    if (childLogging != null) {
      command.add("-Dlogback.configurationFile=" + childLogging);
    }
    command.addAll(
        List.of("-cp", System.getProperty("java.class.path"), "io.streamtrain.cli.Main"));
    command.addAll(args);
    Path out = workDir.resolve(name + ".stdout");
    Path err = workDir.resolve(name + ".stderr");
    try {
      Process process =
          new ProcessBuilder(command)
              .redirectOutput(out.toFile())
              .redirectError(err.toFile())
              .start();
      Child child = new Child(name, process, out, err, evidenceDir());
      synchronized (children) {
        children.add(child);
      }
      return child;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command, e);
    }
  }

  /** A {@code streamtrain} command running in its own JVM. Closing it kills it if still alive. */
  public static final class Child implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Path out;
    private final Path err;
    private final Path evidenceDir;

    Child(String name, Process process, Path out, Path err, Path evidenceDir) {
      this.name = name;
      this.process = process;
      this.out = out;
      this.err = err;
      this.evidenceDir = evidenceDir;
    }

    public String name() {
      return name;
    }

    public boolean isAlive() {
      return process.isAlive();
    }

    /** SIGKILL on Linux: no shutdown hook, no final snapshot, no clean close. */
    public void kill() {
      process.destroyForcibly();
      try {
        if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
          throw new IllegalStateException(name + " did not die within 30 s of SIGKILL");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    /** SIGTERM, as Ctrl-C or a container stop: the command's shutdown hook runs; waits for exit. */
    public void stop() {
      process.destroy();
      try {
        if (!process.waitFor(90, java.util.concurrent.TimeUnit.SECONDS)) {
          throw new AssertionError(name + " did not stop within 90 s of SIGTERM: " + describe());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    /** Waits for the process to exit and returns its exit code. */
    public int awaitExit(Duration timeout) {
      try {
        if (!process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
          throw new AssertionError(
              name
                  + " still runs after "
                  + timeout
                  + "; stderr tail:\n"
                  + tail(stderr(), 40)
                  + "\n(all of it in "
                  + evidenceDir.toAbsolutePath()
                  + " once the test ends)");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      return process.exitValue();
    }

    public String stdout() {
      return read(out);
    }

    public String stderr() {
      return read(err);
    }

    /** The last lines of stdout and stderr, for assertion messages. */
    public String describe() {
      return name
          + " stdout:\n"
          + tail(stdout(), 20)
          + "\n"
          + name
          + " stderr:\n"
          + tail(stderr(), 40);
    }

    private static String read(Path file) {
      try {
        return Files.exists(file) ? Files.readString(file) : "";
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    static String tail(String text, int lines) {
      List<String> all = text.lines().toList();
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    @Override
    public void close() {
      if (process.isAlive()) {
        kill();
      }
      keepLogs();
    }

    /** Copies the output to the scenario's evidence directory, which outlives the work dir. */
    void keepLogs() {
      try {
        Files.createDirectories(evidenceDir);
        Files.copy(out, evidenceDir.resolve(name + ".stdout"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(err, evidenceDir.resolve(name + ".stderr"), StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot keep the logs of " + name, e);
      }
    }
  }

  /**
   * Where this scenario's evidence outlives it: {@code target/it-logs/<work dir name>/}, with every
   * child's stdout and stderr (copied when the child is closed, and on the scenario's close) and
   * the snapshot log of a wait that timed out.
   */
  public Path evidenceDir() {
    return Path.of("target", "it-logs", workDir.getFileName().toString());
  }

  /**
   * What a failure message should carry: the stderr tail of every child launched so far, and where
   * their whole output is kept.
   */
  public String evidence() {
    StringBuilder text = new StringBuilder();
    List<Child> launched;
    synchronized (children) {
      launched = List.copyOf(children);
    }
    for (Child child : launched) {
      text.append("\n--- ")
          .append(child.name())
          .append(child.isAlive() ? " (running)" : " (exited)")
          .append(" stderr tail:\n")
          .append(Child.tail(child.stderr(), 30));
    }
    text.append("\n--- children's whole output: ").append(evidenceDir().toAbsolutePath());
    return text.toString();
  }

  /**
   * Waits (bounded, polling every 100 ms) until {@code condition} holds; on timeout fails with
   * {@code what} and the {@link #evidence}.
   */
  public void await(
      String what, Duration timeout, java.util.concurrent.Callable<Boolean> condition) {
    try {
      Awaitility.await().atMost(timeout).pollInterval(Duration.ofMillis(100)).until(condition);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError("waited " + timeout + " for " + what + evidence(), e);
    }
  }

  /** A pipeline on settings of a throw-away model name: for topics, serdes and reading back. */
  public synchronized Pipeline pipeline() {
    if (pipeline == null) {
      pipeline = new Pipeline(settings("scenario", workDir, Map.of()));
    }
    return pipeline;
  }

  public void createTopics() {
    try (Admin admin = Admin.create(pipeline().settings().adminProps())) {
      TopicCatalog.create(admin, pipeline().names());
    }
  }

  /** The first {@code count} images of a Fashion-MNIST split from the Debian package location. */
  public static List<LabeledImage> fashionMnist(Split split, int count) {
    Path dir = Path.of("/usr/share/datasets/fashion-mnist");
    LabeledDataset dataset = FashionMnist.load(dir, split);
    List<LabeledImage> images = new ArrayList<>(count);
    for (int i = 0; i < Math.min(count, dataset.count()); i++) {
      images.add(LabeledImages.fromDataset(dataset, i));
    }
    return images;
  }

  /** Publishes images keyed by id, in order, to one partition of {@code topic}. */
  public void produce(String topic, List<LabeledImage> images) {
    var serializer = pipeline().serde(LabeledImage.class).serializer();
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(images.size());
    for (LabeledImage image : images) {
      records.add(
          new ProducerRecord<>(
              topic,
              image.getId().getBytes(StandardCharsets.UTF_8),
              serializer.serialize(topic, image)));
    }
    produceRaw(records);
  }

  /** Sends records as they are and waits for every acknowledgement. */
  public void produceRaw(List<ProducerRecord<byte[], byte[]>> records) {
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(pipeline().settings().producerProps())) {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (ProducerRecord<byte[], byte[]> r : records) {
        sent.add(producer.send(r));
      }
      for (Future<RecordMetadata> f : sent) {
        f.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("produce failed: " + e.getCause(), e.getCause());
    }
  }

  /** Replays images.train into train.feed for epochs 1..{@code epochs}. */
  public Replayer.Summary replay(int epochs) {
    return replay(1, epochs);
  }

  /** Replays images.train into train.feed for epochs {@code first}..{@code first+epochs-1}. */
  public Replayer.Summary replay(int first, int epochs) {
    Settings settings = pipeline().settings();
    return new Replayer(
            settings.feedProducerProps(),
            settings.consumerProps(null),
            pipeline().names().imagesTrain(),
            pipeline().names().trainFeed())
        .replay(first, epochs, Replayer.Progress.NONE);
  }

  /** Publishes {@code snapshot} to model.snapshots keyed by its model name, as a trainer would. */
  public void publish(ModelSnapshot snapshot) {
    String topic = pipeline().names().modelSnapshots();
    byte[] value = pipeline().serde(ModelSnapshot.class).serializer().serialize(topic, snapshot);
    produceRaw(
        List.of(
            new ProducerRecord<>(
                topic, snapshot.getModelName().getBytes(StandardCharsets.UTF_8), value)));
  }

  /**
   * Asserts that the feed's live lane holds {@code expected} live records, each from a distinct
   * dataset record (the source offsets in their live header): every event once, none twice; and
   * that the feed itself holds none (the live tail writes to its lane only).
   */
  public void assertLiveFeedHoldsEachOnce(int expected) {
    for (ConsumerRecord<byte[], byte[]> r : readAll(pipeline().names().trainFeed())) {
      org.junit.jupiter.api.Assertions.assertFalse(
          io.streamtrain.kafka.FeedHeaders.isLive(r.headers()), "a live record on the feed itself");
    }
    java.util.Set<String> sources = new java.util.HashSet<>();
    int live = 0;
    for (ConsumerRecord<byte[], byte[]> r : readAll(pipeline().names().liveFeed())) {
      if (io.streamtrain.kafka.FeedHeaders.isLive(r.headers())) {
        live++;
        sources.add(
            new String(
                r.headers().lastHeader(io.streamtrain.kafka.FeedHeaders.LIVE).value(),
                StandardCharsets.UTF_8));
      }
    }
    org.junit.jupiter.api.Assertions.assertEquals(expected, live, "live records on the feed");
    org.junit.jupiter.api.Assertions.assertEquals(
        expected, sources.size(), "each from a distinct dataset record");
  }

  /** Every committed record of {@code topic} up to its current end, in offset order. */
  public List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
    List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(pipeline().settings().consumerProps(null))) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .sorted(Comparator.comparingInt(TopicPartition::partition))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("could not read " + topic + " to its end in 60 s");
        }
        consumer.poll(Duration.ofMillis(200)).forEach(all::add);
      }
    }
    return all;
  }

  /**
   * The committed snapshots of {@code modelName}, decoded (chunked ones put back together), in the
   * order they were published.
   */
  public List<ModelSnapshot> snapshots(String modelName) {
    var deserializer = pipeline().serde(ModelSnapshot.class).deserializer();
    byte[] key = modelName.getBytes(StandardCharsets.UTF_8);
    String topic = pipeline().names().modelSnapshots();
    ChunkLocations chunks = new ChunkLocations(modelName);
    List<ModelSnapshot> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : readAll(topic)) {
      if (!chunks.offer(r) && r.key() != null && Arrays.equals(r.key(), key) && r.value() != null) {
        out.add(
            Snapshots.complete(
                pipeline().settings().consumerProps(null),
                topic,
                deserializer.deserialize(topic, r.value()),
                chunks,
                deserializer));
      }
    }
    return out;
  }

  /** Waits until a committed snapshot of {@code modelName} matches, and returns the first such. */
  public ModelSnapshot awaitSnapshot(
      String modelName, Predicate<ModelSnapshot> condition, Duration timeout) {
    try (SnapshotLog log = snapshotLog(modelName)) {
      return log.await(condition, timeout);
    }
  }

  /** Follows the committed snapshots of {@code modelName} from the beginning of the topic. */
  public SnapshotLog snapshotLog(String modelName) {
    return new SnapshotLog(
        pipeline().settings().consumerProps(null),
        pipeline().names().modelSnapshots(),
        modelName,
        pipeline().serde(ModelSnapshot.class).deserializer(),
        this);
  }

  /**
   * The committed snapshots of one model in publication order, read incrementally (each decoded
   * once) by whoever calls {@link #refresh}. Not thread-safe.
   */
  public static final class SnapshotLog implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final byte[] key;
    private final org.apache.kafka.common.serialization.Deserializer<ModelSnapshot> deserializer;
    private final List<ModelSnapshot> seen = new ArrayList<>();
    private final java.util.Properties consumerProps;
    private final ChunkLocations chunks;
    private final List<Long> seenAtMillis = new ArrayList<>();
    private final String modelName;
    private final Scenario scenario;

    SnapshotLog(
        java.util.Properties consumerProps,
        String topic,
        String modelName,
        org.apache.kafka.common.serialization.Deserializer<ModelSnapshot> deserializer,
        Scenario scenario) {
      this.consumer = new KafkaConsumer<>(consumerProps);
      this.consumerProps = consumerProps;
      this.chunks = new ChunkLocations(modelName);
      this.topic = topic;
      this.modelName = modelName;
      this.key = modelName.getBytes(StandardCharsets.UTF_8);
      this.deserializer = deserializer;
      this.scenario = scenario;
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
    }

    /** Reads what was committed since the last call; returns every snapshot seen so far. */
    public List<ModelSnapshot> refresh() {
      var partitions = consumer.assignment();
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("could not read " + topic + " to its end in 60 s");
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          if (!chunks.offer(r)
              && r.key() != null
              && Arrays.equals(r.key(), key)
              && r.value() != null) {
            // Chunked: its chunks came just before it, read back now, before compaction.
            seen.add(
                Snapshots.complete(
                    consumerProps,
                    topic,
                    deserializer.deserialize(topic, r.value()),
                    chunks,
                    deserializer));
            seenAtMillis.add(System.currentTimeMillis());
          }
        }
      }
      return List.copyOf(seen);
    }

    /**
     * Waits until a snapshot matches and returns the first that does. On timeout the failure
     * carries the snapshot log (also written to the scenario's evidence directory) and the
     * children's stderr.
     */
    public ModelSnapshot await(Predicate<ModelSnapshot> condition, Duration timeout) {
      try {
        return Awaitility.await()
            .atMost(timeout)
            .pollInterval(Duration.ofMillis(100))
            .until(
                () -> refresh().stream().filter(condition).findFirst().orElse(null),
                java.util.Objects::nonNull);
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        throw new AssertionError(
            "no snapshot of "
                + modelName
                + " matched within "
                + timeout
                + "; snapshot log ("
                + keep()
                + "), newest last:\n"
                + Child.tail(describe(), 15)
                + scenario.evidence(),
            e);
      }
    }

    /** When each snapshot was first seen here (epoch millis), in the order of {@link #refresh}. */
    public List<Long> seenAtMillis() {
      return List.copyOf(seenAtMillis);
    }

    /** One line per snapshot seen: when, version, epoch, window, steps and its live metrics. */
    public String describe() {
      StringBuilder text = new StringBuilder();
      for (int i = 0; i < seen.size(); i++) {
        ModelSnapshot s = seen.get(i);
        text.append(
            String.format(
                "%s version=%d epoch=%d%s window=%d steps=%d live=%s%n",
                java.time.Instant.ofEpochMilli(seenAtMillis.get(i)),
                s.getVersion(),
                s.getEpoch(),
                s.getEpochComplete() ? " (complete)" : "",
                s.getWindowIndex(),
                io.streamtrain.snapshots.SnapshotMetrics.stepsApplied(s),
                s.getMetrics()
                    .get(io.streamtrain.snapshots.SnapshotMetrics.LIVE_EXAMPLES_TRAINED)));
      }
      return text.toString();
    }

    /** Writes {@link #describe} to the evidence directory; returns the file or why it could not. */
    private String keep() {
      Path file = scenario.evidenceDir().resolve(modelName + ".snapshots.txt");
      try {
        Files.createDirectories(file.getParent());
        Files.writeString(file, describe());
        return "all of it in " + file.toAbsolutePath();
      } catch (IOException e) {
        return "could not write " + file + ": " + e;
      }
    }

    /** Keeps the snapshot log as evidence (see {@link Scenario#evidenceDir}). */
    @Override
    public void close() {
      try {
        keep();
      } finally {
        consumer.close();
      }
    }
  }

  /** The model at the end of epoch {@code epoch}: what an {@code --epochs epoch} run ends with. */
  public static Predicate<ModelSnapshot> endOfEpoch(int epoch) {
    return s -> s.getEpoch() == epoch && s.getEpochComplete();
  }

  /** The largest absolute difference between two state dicts' parameters (same architecture). */
  public static double maxAbsDifference(ModelSnapshot a, ModelSnapshot b) {
    List<NamedTensor> ta = a.getTensors();
    List<NamedTensor> tb = b.getTensors();
    if (ta.isEmpty() || ta.size() != tb.size()) {
      throw new IllegalArgumentException(
          "different tensor counts " + ta.size() + " vs " + tb.size());
    }
    double max = 0;
    for (int i = 0; i < ta.size(); i++) {
      float[] x = floats(ta.get(i));
      float[] y = floats(tb.get(i));
      if (x.length != y.length || !ta.get(i).getName().equals(tb.get(i).getName())) {
        throw new IllegalArgumentException("tensor " + i + " differs in name or size");
      }
      for (int j = 0; j < x.length; j++) {
        max = Math.max(max, Math.abs((double) x[j] - y[j]));
      }
    }
    return max;
  }

  /** The float32 values of a state-dict entry (little-endian). */
  public static float[] floats(NamedTensor tensor) {
    var data = tensor.getData().duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    float[] values = new float[data.remaining()];
    data.get(values);
    return values;
  }

  @Override
  public void close() {
    List<Child> launched;
    synchronized (children) {
      launched = List.copyOf(children);
    }
    for (Child child : launched) {
      child.close();
    }
    try {
      registry.close();
    } finally {
      try {
        if (broker != null) {
          broker.close();
        }
      } finally {
        deleteRecursively(workDir);
      }
    }
  }

  static void deleteRecursively(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
