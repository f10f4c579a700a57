package io.streamtrain.containers;

import java.nio.file.Files;
import java.nio.file.Path;
import org.testcontainers.DockerClientFactory;

/** Conditions of the container ITs, for JUnit's {@code @EnabledIf}: they skip with the reason. */
public final class ContainerEngine {
  public static final String MISSING =
      "no container engine answers at DOCKER_HOST: run eval \"$(deploy/local-images.sh)\" first";
  public static final String COMPOSE_MISSING =
      "needs docker-compose and a container engine at DOCKER_HOST: run eval"
          + " \"$(deploy/local-images.sh)\" first";

  private ContainerEngine() {}

  public static boolean available() {
    return DockerClientFactory.instance().isDockerAvailable();
  }

  public static boolean availableWithCompose() {
    return onPath("docker-compose") && available();
  }

  public static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }
}
