package io.streamtrain.config;

import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The resolved settings of one command: where Kafka and the registry are, topic prefix, model name,
 * training hyperparameters, and the pass-through client properties. The only place that builds
 * Kafka, Streams and registry client properties.
 *
 * @param kafkaOverrides any non-streamtrain key of the properties file (security.protocol, sasl.*,
 *     ssl.*, ...), applied to every Kafka client and Streams app
 * @param registryOverrides registry client keys of the properties file, Confluent's names
 *     (basic.auth.user.info, schema.registry.ssl.truststore.location, ...)
 * @param maxImagePixels most pixels a PNG/JPEG record's header may declare ({@code
 *     max-image-pixels}); more is dead-lettered before any pixel is decoded
 * @param outageWaitSeconds how long the trainer and predictor wait out an unreachable registry
 *     ({@code outage-wait-seconds}), retrying with backoff, before they stop with one line
 */
public record Settings(
    String bootstrap,
    String registryUrl,
    String topicPrefix,
    String modelName,
    Path stateDir,
    Training training,
    Map<String, String> kafkaOverrides,
    Map<String, String> registryOverrides,
    long maxImagePixels,
    int outageWaitSeconds) {

  /**
   * Default of {@code max-image-pixels}: 4096 x 4096, far above any training input, and a bounded
   * cost even at 16-bit RGBA.
   */
  public static final long DEFAULT_MAX_IMAGE_PIXELS = 4096L * 4096;

  /** Default of {@code outage-wait-seconds}: a registry restart fits well within it. */
  public static final int DEFAULT_OUTAGE_WAIT_SECONDS = 300;

  public Settings {
    kafkaOverrides = Map.copyOf(kafkaOverrides);
    registryOverrides = Map.copyOf(registryOverrides);
    if (maxImagePixels <= 0) {
      throw new IllegalArgumentException(
          "--max-image-pixels must be positive (got " + maxImagePixels + ")");
    }
    if (outageWaitSeconds < 0) {
      throw new IllegalArgumentException(
          "--outage-wait-seconds must be 0 or more (got " + outageWaitSeconds + ")");
    }
  }

  public Settings withBootstrap(String newBootstrap) {
    return with(newBootstrap, registryUrl, training);
  }

  public Settings withRegistryUrl(String newRegistryUrl) {
    return with(bootstrap, newRegistryUrl, training);
  }

  public Settings withTraining(Training newTraining) {
    return with(bootstrap, registryUrl, newTraining);
  }

  private Settings with(String newBootstrap, String newRegistryUrl, Training newTraining) {
    return new Settings(
        newBootstrap,
        newRegistryUrl,
        topicPrefix,
        modelName,
        stateDir,
        newTraining,
        kafkaOverrides,
        registryOverrides,
        maxImagePixels,
        outageWaitSeconds);
  }

  /** How long an unreachable registry is waited out ({@code outage-wait-seconds}). */
  public java.time.Duration outageWait() {
    return java.time.Duration.ofSeconds(outageWaitSeconds);
  }

  /** Bootstrap plus the user's client overrides: the base of every client. */
  public Properties adminProps() {
    Properties props = new Properties();
    props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    // Give up on an unreachable broker quickly; commands check reachability up front.
    props.put(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
    props.put(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, "15000");
    props.putAll(kafkaOverrides);
    return props;
  }

  /** An idempotent, batching, compressing byte-array producer. */
  public Properties producerProps() {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    props.put(ProducerConfig.LINGER_MS_CONFIG, "10");
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(512 * 1024));
    props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, String.valueOf(128L * 1024 * 1024));
    props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(SNAPSHOT_MAX_BYTES));
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "30000");
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.putAll(kafkaOverrides);
    return props;
  }

  /**
   * {@link #producerProps} for writing the training feed (replay): uncompressed, since the feed is
   * written and read next to the broker, once per epoch. The trainer's consumer then reads each
   * record in place instead of copying it out of an lz4 stream, and the broker validates batches
   * without decompressing them. A {@code compression.type} in the properties file still applies (a
   * feed that crosses a slow network).
   */
  public Properties feedProducerProps() {
    Properties props = producerProps();
    props.put(
        ProducerConfig.COMPRESSION_TYPE_CONFIG,
        kafkaOverrides.getOrDefault(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none"));
    return props;
  }

  /** A read_committed byte-array consumer without a group unless one is given. */
  public Properties consumerProps(String groupIdOrNull) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    props.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, String.valueOf(64 * 1024 * 1024));
    props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(16 * 1024 * 1024));
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    if (groupIdOrNull != null) {
      props.put(ConsumerConfig.GROUP_ID_CONFIG, groupIdOrNull);
    }
    props.putAll(kafkaOverrides);
    return props;
  }

  /**
   * Kafka Streams properties for one application.
   *
   * @param exactlyOnce exactly_once_v2 when true, at_least_once otherwise
   */
  public Properties streamsProps(String applicationId, boolean exactlyOnce) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.put(
        StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
        exactlyOnce ? StreamsConfig.EXACTLY_ONCE_V2 : StreamsConfig.AT_LEAST_ONCE);
    props.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
    // Batches of 16 KiB (the default) hold ~18 images: at thousands of live events a second, each
    // batch's own lz4 stream and produce request cost more than its records. Under exactly-once a
    // record is visible only at the commit, so lingering a few ms more delays nothing.
    props.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 512 * 1024);
    props.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 10);
    props.put(
        StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
        String.valueOf(SNAPSHOT_MAX_BYTES));
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), "2000");
    props.put(
        StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG),
        String.valueOf(16 * 1024 * 1024));
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    // One-broker clusters (the embedded default) cannot place three replicas.
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, "-1");
    props.putAll(kafkaOverrides);
    return props;
  }

  /** Configuration handed to the schema registry client and serdes. */
  public Map<String, Object> registryConfig() {
    Map<String, Object> config = new TreeMap<>(registryOverrides);
    config.put("schema.registry.url", registryUrl);
    return config;
  }

  /**
   * Largest snapshot record a client may send (16 MiB): the quickstart MLP's state dict is 2.7 MB
   * of float32, with Adam's two buffers 8 MB; Kafka's 1 MiB default would refuse both.
   */
  public static final int SNAPSHOT_MAX_BYTES = 16 * 1024 * 1024;

  /**
   * Largest TorchScript module ({@code torchscript:} architectures) accepted: its archive travels
   * as one record of the definitions topic.
   */
  public static final int MODULE_MAX_BYTES = 64 * 1024 * 1024;

  /** A definitions record's limit: the largest module plus room for key and record overhead. */
  public static final int MODULE_RECORD_MAX_BYTES = MODULE_MAX_BYTES + 1024 * 1024;
}
