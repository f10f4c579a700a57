package io.streamtrain.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.containers.ContainerEngine;
import io.streamtrain.containers.ProjectImage;
import io.streamtrain.containers.StreamtrainContainer;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.output.OutputFrame;
import org.testcontainers.containers.startupcheck.OneShotStartupCheckStrategy;

/**
 * The image the Dockerfile builds: it runs as its non-root user, its CLI answers, and a container
 * that cannot reach Kafka exits non-zero with one line. Skipped where no container engine answers.
 */
@EnabledIf(
    value = "io.streamtrain.containers.ContainerEngine#available",
    disabledReason = ContainerEngine.MISSING)
class ContainerImageIT {

  @BeforeAll
  static void buildImage() {
    ProjectImage.build();
  }

  /** Runs the image's entrypoint with {@code args} to completion (exit 0) and returns stdout. */
  private static String run(String... args) {
    try (StreamtrainContainer c = new StreamtrainContainer("cli")) {
      c.withCommand(args)
          .withStartupCheckStrategy(
              new OneShotStartupCheckStrategy().withTimeout(Duration.ofMinutes(2)))
          .start();
      return c.getLogs(OutputFrame.OutputType.STDOUT);
    }
  }

  @Test
  void shouldRunAsTheNonRootUser() {
    String user =
        DockerClientFactory.instance()
            .client()
            .inspectImageCmd(ProjectImage.NAME)
            .exec()
            .getConfig()
            .getUser();
    assertEquals("10001:10001", user);
    try (StreamtrainContainer c = new StreamtrainContainer("id")) {
      c.withCreateContainerCmdModifier(cmd -> cmd.withEntrypoint("id", "-u"))
          .withStartupCheckStrategy(new OneShotStartupCheckStrategy())
          .start();
      assertEquals("10001", c.getLogs().strip());
    }
  }

  @Test
  void shouldPrintItsVersionAndTheTrainHelp() {
    assertTrue(run("--version").startsWith("streamtrain "));
    String help = run("train", "--help");
    assertTrue(help.contains("Usage: streamtrain train"), help);
    assertTrue(help.contains("--follow"), help);
  }

  @Test
  void shouldExitNonZeroWithOneLineWhenTheBrokerIsUnreachable() {
    // Nothing listens on this port: the trainer waits for the broker, then gives up.
    String bootstrap = "127.0.0.1:" + StreamtrainContainer.freePort();
    try (StreamtrainContainer trainer = new StreamtrainContainer("unreachable")) {
      trainer.withCommand("train", "--follow", "--bootstrap", bootstrap).start();
      Awaitility.await("the trainer gives up on " + bootstrap)
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofSeconds(1))
          .until(() -> !trainer.isRunning());
      Long exit = trainer.getCurrentContainerInfo().getState().getExitCodeLong();
      assertNotEquals(0L, exit);
      List<String> lines = trainer.getLogs().lines().filter(l -> !l.isBlank()).toList();
      String all = String.join("\n", lines);
      // The error is the last line; a line saying it waits may come before it, no stack trace.
      assertTrue(lines.size() <= 2, "expected one error line, got:\n" + all);
      assertTrue(
          lines.get(lines.size() - 1).startsWith("streamtrain: Cannot reach Kafka at " + bootstrap),
          all);
      assertTrue(
          lines.stream().noneMatch(l -> l.startsWith("\tat ") || l.startsWith("Caused by")), all);
    }
  }
}
