package io.streamtrain.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * Builds {@link Settings} from defaults &lt; properties file &lt; environment &lt; command-line
 * flags. Every setting has one name, the long flag without dashes ({@code batch-size}); the file
 * spells it {@code streamtrain.batch-size}, the environment {@code STREAMTRAIN_BATCH_SIZE}. In the
 * file, {@code bootstrap.servers} and {@code schema.registry.url} are accepted too, Confluent's
 * registry client keys ({@code schema.registry.*}, {@code basic.auth.*}, {@code bearer.auth.*}) go
 * to the registry client and every other key to every Kafka client (SASL/SSL and so on).
 */
public final class SettingsLoader {

  private static final String FILE_PREFIX = "streamtrain.";
  private static final String TORCHSCRIPT = "torchscript:";
  private static final String ENV_PREFIX = "STREAMTRAIN_";
  // Confluent's names for registry client settings (basic auth, TLS of the registry connection).
  private static final List<String> REGISTRY_PREFIXES =
      List.of("schema.registry.", "basic.auth.", "bearer.auth.");

  private SettingsLoader() {}

  /**
   * @param configFile a properties file or null
   * @param env the process environment (System.getenv() outside tests)
   * @param flags the flags given on the command line, by setting name; null values are ignored
   */
  public static Settings load(Path configFile, Map<String, String> env, Map<String, String> flags) {
    Map<String, String> values = new HashMap<>(defaults());
    Map<String, String> kafka = new TreeMap<>();
    Map<String, String> registry = new TreeMap<>();
    if (configFile != null) {
      Map<String, String> file = new HashMap<>();
      readFile(configFile, file, kafka, registry);
      values.putAll(renamed(file));
    }
    Map<String, String> environment = new HashMap<>();
    env.forEach(
        (name, value) -> {
          if (name.startsWith(ENV_PREFIX)) {
            environment.put(
                name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '-'),
                value);
          }
        });
    values.putAll(renamed(environment));
    Map<String, String> given = new HashMap<>();
    flags.forEach(
        (name, value) -> {
          if (value != null) {
            given.put(name, value);
          }
        });
    values.putAll(renamed(given));
    return build(values, kafka, registry);
  }

  /**
   * One source's settings with the old names of renamed ones under their new names; within a
   * source, the new name wins. Applied per source, so that a flag with the old name still beats a
   * file with the new one.
   */
  private static Map<String, String> renamed(Map<String, String> source) {
    Map<String, String> out = new HashMap<>(source);
    for (var old : RENAMED.entrySet()) {
      String value = out.remove(old.getKey());
      if (value != null) {
        out.putIfAbsent(old.getValue().newName(), old.getValue().convert().apply(value));
      }
    }
    return out;
  }

  /** The new name of a renamed setting and its value in the new one's unit. */
  private record Rename(String newName, UnaryOperator<String> convert) {}

  // The snapshot cadence's old flags (three names, three units) and the old key of
  // --evaluate-each-epoch, read leniently as it was.
  private static final Map<String, Rename> RENAMED =
      Map.of(
          "snapshot-every", new Rename("snapshot-steps", UnaryOperator.identity()),
          "snapshot-seconds",
              new Rename(
                  "snapshot-ms", v -> String.valueOf(Values.intOf("snapshot-seconds", v) * 1000L)),
          "evaluate",
              new Rename(
                  "evaluate-each-epoch", v -> String.valueOf(Boolean.parseBoolean(v.trim()))));

  private static Map<String, String> defaults() {
    Map<String, String> d = new HashMap<>();
    d.put("bootstrap", "localhost:9092");
    d.put("registry", "http://localhost:8081");
    d.put("topic-prefix", "");
    d.put("model-name", "fashion-mlp");
    d.put(
        "state-dir", Path.of(System.getProperty("java.io.tmpdir"), "streamtrain-state").toString());
    d.put("preset", "reference");
    d.put("max-image-pixels", String.valueOf(Settings.DEFAULT_MAX_IMAGE_PIXELS));
    d.put("outage-wait-seconds", String.valueOf(Settings.DEFAULT_OUTAGE_WAIT_SECONDS));
    return d;
  }

  private static void readFile(
      Path file,
      Map<String, String> values,
      Map<String, String> kafka,
      Map<String, String> registry) {
    Properties props = new Properties();
    try (Reader reader = Files.newBufferedReader(file)) {
      props.load(reader);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "Cannot read --config "
              + file
              + ": "
              + e.getMessage()
              + " (give a readable properties file)",
          e);
    }
    for (String key : props.stringPropertyNames()) {
      String value = props.getProperty(key).trim();
      if (key.startsWith(FILE_PREFIX)) {
        values.put(key.substring(FILE_PREFIX.length()), value);
      } else if (key.equals("bootstrap.servers")) {
        values.put("bootstrap", value);
      } else if (key.equals("schema.registry.url")) {
        values.put("registry", value);
      } else if (REGISTRY_PREFIXES.stream().anyMatch(key::startsWith)) {
        registry.put(key, value);
      } else {
        kafka.put(key, value);
      }
    }
  }

  private static Settings build(
      Map<String, String> v, Map<String, String> kafka, Map<String, String> registry) {
    Training base =
        switch (v.get("preset")) {
          case "reference" -> Training.reference();
          case "good" -> Training.good();
          case "cnn" -> Training.cnn();
          default ->
              throw new IllegalArgumentException(
                  "--preset must be reference, good or cnn (got " + v.get("preset") + ")");
        };
    Training.Builder training = base.toBuilder();
    v.forEach(training::set);
    training.architecture(
        architecture(v.getOrDefault("architecture", base.architecture()), v.get("input-shape")));
    return new Settings(
        v.get("bootstrap"),
        v.get("registry"),
        v.get("topic-prefix"),
        v.get("model-name"),
        Path.of(v.get("state-dir")),
        training.build(),
        kafka,
        registry,
        Values.longOf("max-image-pixels", v.get("max-image-pixels")),
        Values.intOf("outage-wait-seconds", v.get("outage-wait-seconds")));
  }

  /**
   * The architecture with {@code --input-shape} folded in: a torchscript: spec carries its input
   * shape after '@' ({@code torchscript:model.pt@3x32x32}), a built-in spec has its own.
   */
  static String architecture(String architecture, String inputShape) {
    if (inputShape == null || inputShape.isBlank()) {
      return architecture;
    }
    String shape = inputShape.trim();
    if (!shape.matches("[1-9][0-9]*x[1-9][0-9]*x[1-9][0-9]*")) {
      throw new IllegalArgumentException(
          "--input-shape must be CxHxW with positive numbers, e.g. 1x28x28 or 3x32x32 (got '"
              + inputShape
              + "')");
    }
    if (!architecture.trim().startsWith(TORCHSCRIPT)) {
      throw new IllegalArgumentException(
          "--input-shape applies to a torchscript: architecture; "
              + architecture
              + " carries its own input shape");
    }
    if (architecture.matches(".*@[0-9]+x[0-9]+x[0-9]+\\s*")) {
      throw new IllegalArgumentException(
          "--architecture " + architecture + " already names an input shape; drop --input-shape");
    }
    return architecture.trim() + "@" + shape;
  }
}
