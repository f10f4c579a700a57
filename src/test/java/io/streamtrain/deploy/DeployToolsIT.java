package io.streamtrain.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The real tools accept the deployment files without an engine or a cluster: Debian's
 * docker-compose (installed by .ci/run) and kubectl's built-in kustomize where present.
 */
class DeployToolsIT {

  private static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }

  private static void assertExitsZero(List<String> command)
      throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(120, TimeUnit.SECONDS);
    assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + output);
  }

  @Test
  void dockerComposeShouldAcceptTheComposeFileAndItsOverrides() throws Exception {
    assumeTrue(onPath("docker-compose"), "apt-get install docker-compose");
    assertExitsZero(List.of("docker-compose", "-f", "docker-compose.yml", "config", "-q"));
    for (String override : List.of("deploy/docker-compose.gpu.yml", "deploy/compose.local.yml")) {
      assertExitsZero(
          List.of("docker-compose", "-f", "docker-compose.yml", "-f", override, "config", "-q"));
    }
  }

  @Test
  void kustomizeShouldBuildTheBaseAndTheGpuOverlay() throws Exception {
    assumeTrue(onPath("kubectl"), "needs kubectl >= 1.27");
    assertExitsZero(List.of("kubectl", "kustomize", "deploy/k8s/base"));
    assertExitsZero(List.of("kubectl", "kustomize", "deploy/k8s/overlays/gpu"));
  }
}
