package io.streamtrain.containers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * A container of the project's image on the host's network: it reaches and serves 127.0.0.1 like a
 * process on the host, so no byte leaves the loopback and nothing is addressed by a bridge IP. Its
 * output goes to the test's stderr, prefixed with its role.
 */
public final class StreamtrainContainer extends GenericContainer<StreamtrainContainer> {
  private final String role;

  public StreamtrainContainer(String role) {
    super(DockerImageName.parse(ProjectImage.NAME));
    this.role = role;
    withNetworkMode("host");
    withLogConsumer(frame -> System.err.print("[" + role + "] " + frame.getUtf8String()));
  }

  /** Starts {@code container} and returns once a line of its output matches {@code regex}. */
  public static StreamtrainContainer await(StreamtrainContainer container, String regex) {
    container.waitingFor(
        Wait.forLogMessage(regex + "\\n?", 1).withStartupTimeout(Duration.ofMinutes(3)));
    container.start();
    return container;
  }

  /** Fails with the container's exit code and output when it stopped. */
  public void assertRunning() {
    if (!isRunning()) {
      Long exit = getCurrentContainerInfo().getState().getExitCodeLong();
      throw new AssertionError(role + " container exited with " + exit + ":\n" + getLogs());
    }
  }

  /** A port free on the loopback now, for a container on the host's network to listen on. */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("No free loopback port: " + e.getMessage(), e);
    }
  }
}
