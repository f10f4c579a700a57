package io.streamtrain.containers;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * The project's image, built once per test JVM from the Dockerfile with the jar that {@code mvn
 * package} left in target/ (JAR_FROM=host: the ITs run after package, and the Maven stage would
 * need Maven Central from inside the build). The runtime base is STREAMTRAIN_BASE_IMAGE, which
 * deploy/local-images.sh builds and exports where no registry is reachable, else the Dockerfile's
 * default.
 */
public final class ProjectImage {
  /** The tag docker-compose.yml names, under Podman's prefix for local images. */
  public static final String NAME =
      System.getenv().getOrDefault("STREAMTRAIN_IMAGE", "localhost/streamtrain:0.1.0-cpu");

  private static final Path ROOT = Path.of("").toAbsolutePath();
  private static String built;

  private ProjectImage() {}

  /**
   * Builds the image (the engine's layer cache makes an unchanged jar cheap) and returns its tag.
   */
  public static synchronized String build() {
    if (built != null) {
      return built;
    }
    Path jar = ROOT.resolve("target/streamtrain.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          jar + " is missing: the container ITs need `mvn package` first (mvn verify does it)");
    }
    ImageFromDockerfile image =
        new ImageFromDockerfile(NAME, false)
            .withFileFromPath("Dockerfile", ROOT.resolve("Dockerfile"))
            .withFileFromPath("target/streamtrain.jar", jar)
            // Podman 4.3 resolves the stages named through VARIANT and JAR_FROM only when they are
            // passed, defaults or not.
            .withBuildArg("VARIANT", "cpu")
            .withBuildArg("JAR_FROM", "host");
    String base = System.getenv("STREAMTRAIN_BASE_IMAGE");
    if (base != null && !base.isBlank()) {
      image.withBuildArg("RUNTIME_BASE", base);
    }
    try {
      image.get(15, TimeUnit.MINUTES);
    } catch (Exception e) {
      throw new IllegalStateException("Cannot build " + NAME + " from the Dockerfile: " + e, e);
    }
    built = NAME;
    return built;
  }
}
