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
      readFile(configFile, values, kafka, registry);
    }
    env.forEach(
        (name, value) -> {
          if (name.startsWith(ENV_PREFIX)) {
            values.put(
                name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '-'),
                value);
          }
        });
    flags.forEach(
        (name, value) -> {
          if (value != null) {
            values.put(name, value);
          }
        });
    return build(values, kafka, registry);
  }

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
    Training training =
        new Training(
            architecture(v.getOrDefault("architecture", base.architecture()), v.get("input-shape")),
            longOf(v, "seed", base.seed()),
            intOf(v, "batch-size", base.batchSize()),
            intOf(v, "shuffle-window", base.shuffleWindow()),
            v.getOrDefault("optimizer", base.optimizer()).toLowerCase(Locale.ROOT),
            doubleOf(v, "lr", base.learningRate()),
            doubleOf(v, "momentum", base.momentum()),
            doubleOf(v, "weight-decay", base.weightDecay()),
            v.getOrDefault("device", base.device()).toLowerCase(Locale.ROOT),
            intOf(v, "snapshot-every", base.snapshotEverySteps()),
            intOf(v, "snapshot-seconds", base.snapshotEverySeconds()),
            intOf(v, "metrics-every", base.metricsEverySteps()),
            intOf(v, "max-bad-steps", base.maxBadSteps()),
            Boolean.parseBoolean(
                v.getOrDefault("evaluate", String.valueOf(base.evaluateEachEpoch()))),
            doubleOf(v, "lr-decay", base.lrDecay()),
            booleanOf(v, "training-first", base.trainingFirst()),
            new LiveWindows(
                intOf(v, "live-window", base.live().size()),
                intOf(v, "live-wait-ms", base.live().maxWaitMs()),
                intOf(v, "live-snapshot-ms", base.live().minSnapshotIntervalMs())),
            v.getOrDefault("transforms", base.transforms()));
    return new Settings(
        v.get("bootstrap"),
        v.get("registry"),
        v.get("topic-prefix"),
        v.get("model-name"),
        Path.of(v.get("state-dir")),
        training,
        kafka,
        registry,
        longOf(v, "max-image-pixels", Settings.DEFAULT_MAX_IMAGE_PIXELS),
        intOf(v, "outage-wait-seconds", Settings.DEFAULT_OUTAGE_WAIT_SECONDS));
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

  private static int intOf(Map<String, String> v, String name, int fallback) {
    return parsed(v, name, fallback, Integer::parseInt, "an integer");
  }

  private static boolean booleanOf(Map<String, String> v, String name, boolean fallback) {
    String s = v.get(name);
    if (s == null) {
      return fallback;
    }
    return switch (s.trim().toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default ->
          throw new IllegalArgumentException(
              "--" + name + " must be true or false (got '" + s + "')");
    };
  }

  private static long longOf(Map<String, String> v, String name, long fallback) {
    return parsed(v, name, fallback, Long::parseLong, "an integer");
  }

  private static double doubleOf(Map<String, String> v, String name, double fallback) {
    return parsed(v, name, fallback, Double::parseDouble, "a number");
  }

  /** The value of {@code name} parsed, {@code fallback} when unset, one line when malformed. */
  private static <T> T parsed(
      Map<String, String> v,
      String name,
      T fallback,
      java.util.function.Function<String, T> parse,
      String what) {
    String s = v.get(name);
    try {
      return s == null ? fallback : parse.apply(s.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "--" + name + " must be " + what + " (got '" + s + "')", e);
    }
  }
}
