package io.streamtrain.kafka;

import io.streamtrain.config.Directories;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.lang.reflect.InvocationTargetException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.server.Server;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apache Kafka broker in KRaft combined mode (broker and controller in one node), running in
 * this JVM: no ZooKeeper, no Docker. Owns the server, its two ports and its data directory.
 *
 * <p>The quorum is static ({@code controller.quorum.voters}), so nothing about the controller's
 * address is written to disk and a formatted data directory can be reused with other ports.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
  private static final int NODE_ID = 1;
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

  private final int port;
  private final int controllerPort;
  private final Path dataDir;
  private final boolean deleteDataDirOnClose;
  private final Map<String, String> overrides;
  private Server server;

  private EmbeddedKafka(
      int port,
      int controllerPort,
      Path dataDir,
      boolean deleteDataDirOnClose,
      Map<String, String> overrides) {
    this.port = port;
    this.controllerPort = controllerPort;
    this.dataDir = dataDir;
    this.deleteDataDirOnClose = deleteDataDirOnClose;
    this.overrides = Map.copyOf(overrides);
  }

  /**
   * Starts a broker on {@code port} (0 = a free port) storing its data in {@code dataDir} (null = a
   * fresh temporary directory deleted on close; an existing formatted directory is reused, so
   * topics and records survive). Returns once the broker answers an Admin describeCluster.
   */
  public static EmbeddedKafka start(int port, Path dataDir) {
    return start(port, dataDir, Map.of());
  }

  /** As {@link #start(int, Path)}, with extra broker properties that win over the defaults. */
  public static EmbeddedKafka start(int port, Path dataDir, Map<String, String> brokerOverrides) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(
          "Broker port " + port + " is out of range: use 1..65535, or 0 for a free port");
    }
    boolean temporary = dataDir == null;
    Path dir;
    try {
      dir =
          temporary
              ? Files.createTempDirectory("streamtrain-kafka-")
              : Files.createDirectories(dataDir.toAbsolutePath());
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot create the broker data directory " + dataDir + ": " + e.getMessage(), e);
    }
    int brokerPort = port == 0 ? freePort() : port;
    EmbeddedKafka kafka =
        new EmbeddedKafka(
            brokerPort, freePortOtherThan(brokerPort), dir, temporary, brokerOverrides);
    try {
      kafka.startServer();
    } catch (RuntimeException e) {
      kafka.close();
      throw e;
    }
    return kafka;
  }

  /** "localhost:PORT", the address any client on this host uses. */
  public String bootstrap() {
    return "localhost:" + port;
  }

  public int port() {
    return port;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** Client properties with just the bootstrap address, for Admin/Producer/Consumer. */
  public Properties clientProperties() {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    return props;
  }

  public synchronized boolean isRunning() {
    return server != null;
  }

  /** Stops the broker, keeping its data directory. No-op when already stopped. */
  public synchronized void stop() {
    if (server == null) {
      return;
    }
    Server stopping = server;
    server = null;
    stopping.shutdown();
    stopping.awaitShutdown();
  }

  /** Stops, then starts again on the same port and data directory (records survive). */
  public synchronized void restart() {
    stop();
    startServer();
  }

  @Override
  public synchronized void close() {
    try {
      stop();
    } finally {
      if (deleteDataDirOnClose) {
        Directories.deleteRecursively(dataDir);
      }
    }
  }

  private synchronized void startServer() {
    if (server != null) {
      throw new IllegalStateException("The embedded broker on port " + port + " already runs");
    }
    Map<String, String> props = brokerProperties();
    formatIfNeeded(props);
    Server starting = new KafkaRaftServer(kafkaConfig(props), Time.SYSTEM);
    try {
      starting.startup();
    } catch (RuntimeException e) {
      shutdownQuietly(starting, e);
      throw new IllegalStateException(
          "Cannot start the embedded Kafka broker on port "
              + port
              + " with data directory "
              + dataDir
              + ": "
              + e.getMessage()
              + " (is the port or the directory used by another broker?)",
          e);
    }
    server = starting;
    try {
      Brokers.awaitReachable(clientProperties(), READY_TIMEOUT);
    } catch (RuntimeException e) {
      stop();
      throw e;
    }
  }

  /**
   * kafka_2.13's POM puts kafka-server (KafkaConfig's superclass) in runtime scope, so javac cannot
   * see KafkaConfig's constructors; it is built reflectively. Everything else is plain calls.
   */
  private static KafkaConfig kafkaConfig(Map<String, String> props) {
    try {
      return (KafkaConfig)
          Class.forName("kafka.server.KafkaConfig")
              .getConstructor(Map.class, boolean.class)
              .newInstance(props, false);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      throw new IllegalArgumentException(
          "Invalid embedded broker configuration: " + cause.getMessage(), cause);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(
          "kafka_2.13 4.x is missing from the class path: " + e.getMessage(), e);
    }
  }

  private Map<String, String> brokerProperties() {
    Map<String, String> p = new HashMap<>();
    p.put("process.roles", "broker,controller");
    p.put("node.id", String.valueOf(NODE_ID));
    p.put("controller.quorum.voters", NODE_ID + "@localhost:" + controllerPort);
    p.put(
        "listeners", "PLAINTEXT://localhost:" + port + ",CONTROLLER://localhost:" + controllerPort);
    // Advertised as localhost so that kcat and other processes on this host reach it.
    p.put("advertised.listeners", "PLAINTEXT://localhost:" + port);
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("log.dirs", dataDir.toString());
    p.put("metadata.log.dir", dataDir.toString());
    // A one-node cluster: every internal topic with replication factor 1.
    p.put("offsets.topic.replication.factor", "1");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("min.insync.replicas", "1");
    p.put("default.replication.factor", "1");
    // Fewer internal-topic partitions than the default 50: creating and loading them on one node
    // is what makes the first consumer group or transaction slow to start.
    p.put("offsets.topic.num.partitions", "4");
    p.put("transaction.state.log.num.partitions", "4");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("num.partitions", "1");
    p.put("auto.create.topics.enable", "false");
    // Model snapshots are a few MB each.
    p.put("message.max.bytes", "16777216");
    p.put("replica.fetch.max.bytes", "16777216");
    p.put("num.network.threads", "2");
    p.put("num.io.threads", "4");
    p.put("log.cleaner.threads", "1");
    p.put("log.cleaner.dedupe.buffer.size", String.valueOf(32 * 1024 * 1024));
    p.putAll(overrides);
    return p;
  }

  /** Formats an empty data directory the way kafka-storage.sh format does. */
  private void formatIfNeeded(Map<String, String> props) {
    if (Files.exists(dataDir.resolve("meta.properties"))) {
      return;
    }
    Path configFile = null;
    try {
      configFile = Files.createTempFile("streamtrain-kafka-", ".properties");
      Properties fileProps = new Properties();
      fileProps.putAll(props);
      try (Writer out = Files.newBufferedWriter(configFile)) {
        fileProps.store(out, "streamtrain embedded broker");
      }
      String[] args = {
        "format", "--config", configFile.toString(), "--cluster-id", Uuid.randomUuid().toString()
      };
      int exitCode = StorageTool.execute(args, new PrintStream(PrintStream.nullOutputStream()));
      if (exitCode != 0) {
        throw new IllegalStateException("kafka-storage format exited with " + exitCode);
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException(
          "Cannot format the broker data directory " + dataDir + ": " + e.getMessage(), e);
    } finally {
      if (configFile != null) {
        try {
          Files.deleteIfExists(configFile);
        } catch (IOException e) {
          // A leftover temp file is harmless; the broker start must not fail over it.
          LOG.warn("Cannot delete temporary broker config {}: {}", configFile, e.toString());
        }
      }
    }
  }

  private static void shutdownQuietly(Server s, RuntimeException primary) {
    try {
      s.shutdown();
      s.awaitShutdown();
    } catch (RuntimeException e) {
      primary.addSuppressed(e);
    }
  }

  /**
   * A free port other than {@code taken}. The broker's port is closed again before the controller's
   * is asked for, so the system can hand out the same one twice (it did once in CI, and the broker
   * refused to start with two listeners on one port).
   */
  private static int freePortOtherThan(int taken) {
    for (int attempt = 0; attempt < 100; attempt++) {
      int port = freePort();
      if (port != taken) {
        return port;
      }
    }
    throw new IllegalStateException("No free local port other than " + taken + " in 100 tries");
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot find a free local port: " + e.getMessage(), e);
    }
  }

}
