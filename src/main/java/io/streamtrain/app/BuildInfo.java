package io.streamtrain.app;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.utils.AppInfoParser;

/**
 * The versions {@code streamtrain --version} prints: the project's (the shaded jar's manifest, else
 * the build's resource, so it also works from target/classes) and those of the libraries it runs
 * on, as Maven resolved them.
 */
public final class BuildInfo {
  private static final String RESOURCE = "/io/streamtrain/build.properties";

  private BuildInfo() {}

  /** The project's version, e.g. {@code 0.1.0-SNAPSHOT}. */
  public static String version() {
    String manifest = BuildInfo.class.getPackage().getImplementationVersion();
    return manifest != null ? manifest : properties().getProperty("version", "dev");
  }

  /** One line per component: streamtrain, DJL with its PyTorch, Kafka, Avro, Java. */
  public static List<String> lines() {
    Properties build = properties();
    return List.of(
        "streamtrain " + version(),
        "DJL "
            + build.getProperty("djl", "?")
            + " with PyTorch "
            + build.getProperty("pytorch", "?")
            + " ("
            + build.getProperty("pytorch.native", "?")
            + ")",
        // The classes actually loaded, which a classpath override could change.
        "Kafka " + AppInfoParser.getVersion() + " (clients, Streams)",
        "Avro " + build.getProperty("avro", "?"),
        "Java "
            + System.getProperty("java.runtime.version")
            + " ("
            + System.getProperty("java.vm.name")
            + ")");
  }

  private static Properties properties() {
    Properties properties = new Properties();
    try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE)) {
      if (in != null) {
        properties.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
    return properties;
  }
}
