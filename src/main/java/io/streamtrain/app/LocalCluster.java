package io.streamtrain.app;

import io.streamtrain.config.Directories;
import io.streamtrain.config.Settings;
import io.streamtrain.config.SettingsLoader;
import io.streamtrain.kafka.EmbeddedKafka;
import io.streamtrain.kafka.TopicCatalog;
import io.streamtrain.registry.MockSchemaRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;

/**
 * Everything a pipeline needs, in this process: an embedded broker, a {@code mock://} registry
 * scope, a temporary state directory and the topics, wired into {@link Settings} and a {@link
 * Pipeline}. {@code demo}, {@code bench} and tests share it; closing it stops the broker, drops the
 * registry scope and deletes the state directory.
 */
public final class LocalCluster implements AutoCloseable {
  private final EmbeddedKafka broker;
  private final String scope;
  private final Path stateDir;
  private final Pipeline pipeline;

  private LocalCluster(EmbeddedKafka broker, String scope, Path stateDir, Pipeline pipeline) {
    this.broker = broker;
    this.scope = scope;
    this.stateDir = stateDir;
    this.pipeline = pipeline;
  }

  /** As {@link #start(String, Map, int)} with the default partitions of images.infer. */
  public static LocalCluster start(String name, Map<String, String> flags) {
    return start(name, flags, TopicCatalog.DEFAULT_INFER_PARTITIONS);
  }

  /**
   * Starts the broker and creates the topics.
   *
   * @param name what the cluster is for ({@code demo}, {@code bench}): names the registry scope and
   *     the state directory
   * @param flags settings flags (as {@link SettingsLoader} takes them) besides the broker, registry
   *     and state directory, which the cluster sets
   * @param inferPartitions partitions of images.infer and predictions
   */
  public static LocalCluster start(String name, Map<String, String> flags, int inferPartitions) {
    Path stateDir;
    try {
      stateDir = Files.createTempDirectory("streamtrain-" + name + "-state");
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create a temporary state directory", e);
    }
    String scope = name + "-" + UUID.randomUUID();
    EmbeddedKafka broker = null;
    try {
      broker = EmbeddedKafka.start(0, null);
      Map<String, String> all = new HashMap<>(flags);
      all.put("bootstrap", broker.bootstrap());
      all.put("registry", MockSchemaRegistry.URL_PREFIX + scope);
      all.put("state-dir", stateDir.toString());
      return new LocalCluster(broker, scope, stateDir, pipelineWithTopics(all, inferPartitions));
    } catch (RuntimeException e) {
      if (broker != null) {
        broker.close();
      }
      MockSchemaRegistry.dropScope(scope);
      Directories.deleteQuietly(stateDir);
      throw e;
    }
  }

  /**
   * The pipeline that {@code flags} describe (bootstrap, registry and state directory included),
   * with its topics created on that broker.
   */
  public static Pipeline pipelineWithTopics(Map<String, String> flags, int inferPartitions) {
    Settings settings = SettingsLoader.load(null, Map.of(), flags);
    Pipeline pipeline = new Pipeline(settings);
    try (Admin admin = Admin.create(settings.adminProps())) {
      TopicCatalog.create(admin, pipeline.names(), inferPartitions);
    }
    return pipeline;
  }

  public EmbeddedKafka broker() {
    return broker;
  }

  public Settings settings() {
    return pipeline.settings();
  }

  public Pipeline pipeline() {
    return pipeline;
  }

  @Override
  public void close() {
    try {
      broker.close();
    } finally {
      MockSchemaRegistry.dropScope(scope);
      Directories.deleteQuietly(stateDir);
    }
  }
}
