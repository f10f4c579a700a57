package io.streamtrain.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import io.streamtrain.app.Pipeline;
import io.streamtrain.app.TestPipelines;
import io.streamtrain.config.Settings;
import io.streamtrain.config.SettingsLoader;
import io.streamtrain.containers.ContainerEngine;
import io.streamtrain.containers.ProjectImage;
import io.streamtrain.kafka.Replayer;
import io.streamtrain.schema.MetricKind;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.Prediction;
import io.streamtrain.schema.TrainingMetric;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.DockerClientFactory;

/**
 * docker-compose.yml with deploy/compose.local.yml, brought up by Debian's docker-compose (v1)
 * against the engine in DOCKER_HOST (Podman's socket in CI): topics exits 0, trainer and predictor
 * turn healthy, a prediction comes back to the host, and `docker-compose stop trainer` ends the
 * trainer within its grace period with a final snapshot. Uses the public file's host ports
 * (127.0.0.1:9092, 8081, 9404, 9405). Skipped where docker-compose or an engine is missing.
 */
@EnabledIf(
    value = "io.streamtrain.containers.ContainerEngine#availableWithCompose",
    disabledReason = ContainerEngine.COMPOSE_MISSING)
class ComposeStackIT {
  private static final String PROJECT = "streamtrain-compose-it";
  private static final List<String> COMPOSE =
      List.of(
          "docker-compose",
          "-p",
          PROJECT,
          "-f",
          "docker-compose.yml",
          "-f",
          "deploy/compose.local.yml");

  @TempDir static Path stateDir;

  @BeforeAll
  static void up() throws Exception {
    ProjectImage.build();
    compose(Duration.ofMinutes(2), "down", "-v", "--remove-orphans");
    // Returns once kafka and schema-registry are healthy, topics has exited and the rest started.
    try {
      compose(Duration.ofMinutes(6), "up", "-d", "--no-build");
    } catch (AssertionError e) {
      // Which service failed, and its own words: compose's output names only a container id.
      throw new AssertionError(
          e.getMessage()
              + "\n--- logs ---\n"
              + compose(Duration.ofMinutes(1), "logs", "--no-color", "--tail", "40"),
          e);
    }
  }

  @AfterAll
  static void down() throws Exception {
    compose(Duration.ofMinutes(2), "down", "-v", "--remove-orphans");
  }

  @Test
  void shouldTrainServeAndStopWithAFinalSnapshot() throws Exception {
    InspectContainerResponse topics = inspect("topics");
    assertFalse(topics.getState().getRunning());
    assertEquals(0L, topics.getState().getExitCodeLong(), "topics: " + logs("topics"));
    awaitHealthy("trainer");

    Settings settings =
        SettingsLoader.load(
            Path.of("deploy/k8s/base/streamtrain.properties"),
            Map.of(),
            Map.of(
                "bootstrap", "localhost:9092",
                "registry", "http://localhost:8081",
                "state-dir", stateDir.toString()));
    Pipeline pipeline = new Pipeline(settings);
    var names = pipeline.names();
    TestPipelines.publish(pipeline, names.imagesTrain(), TestPipelines.images("train", 2048, 1));
    pipeline.replayer().replay(1);
    ModelSnapshot first = awaitSnapshot(pipeline, s -> s.getEpoch() == 1 && s.getEpochComplete());
    awaitHealthy("predictor");

    TestPipelines.publish(pipeline, names.imagesInfer(), TestPipelines.images("req", 10, 3));
    Prediction prediction = awaitPrediction(pipeline, "req-0");
    // That version, or a later one: the trainer also learns images.train's records live.
    assertTrue(prediction.getModelVersion() >= first.getVersion(), prediction.toString());
    assertEquals(10, prediction.getProbabilities().size());

    // More to learn, stopped once training has moved past the first epoch's snapshot: the
    // trainer then holds steps no snapshot has, and must publish them before it exits. The
    // trainer follows images.train (--follow), so it learns these images live as well as in the
    // replayed epochs; either way it is mid-way when the stop comes.
    TestPipelines.publish(pipeline, names.imagesTrain(), TestPipelines.images("more", 56_000, 4));
    // Three epochs of it, so that the stop cannot land on the last epoch's end.
    pipeline.replayer().replay(2, 3, Replayer.Progress.NONE);
    long progressed = awaitTrainingPast(pipeline, first.getVersion());
    long stopRequested = System.currentTimeMillis();
    compose(Duration.ofSeconds(90), "stop", "trainer");

    InspectContainerResponse trainer = inspect("trainer");
    assertFalse(trainer.getState().getRunning());
    // 137 would mean the grace period ran out and the engine killed it.
    assertNotEquals(137L, trainer.getState().getExitCodeLong(), logs("trainer"));
    assertTrue(logs("trainer").contains("Stopping: publishing a final snapshot"), logs("trainer"));
    ModelSnapshot last = pipeline.latestSnapshot().orElseThrow();
    assertTrue(
        last.getCreatedAt().toEpochMilli() >= stopRequested,
        "no snapshot since the stop: the newest was made at " + last.getCreatedAt());
    assertTrue(last.getVersion() >= progressed, last.getVersion() + " < " + progressed);
  }

  // ---- the stack ----

  private static String compose(Duration timeout, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(COMPOSE);
    command.addAll(List.of(args));
    Path out = Files.createTempFile("compose-", ".log");
    try {
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(out.toFile())
              .start();
      boolean done = p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS);
      String output = Files.readString(out, StandardCharsets.UTF_8);
      System.err.print(output);
      if (!done) {
        p.destroyForcibly();
      }
      assertTrue(
          done, String.join(" ", command) + " did not finish within " + timeout + ":\n" + output);
      assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + output);
      return output;
    } finally {
      Files.deleteIfExists(out);
    }
  }

  private static DockerClient docker() {
    return DockerClientFactory.instance().client();
  }

  private static String containerId(String service) {
    List<Container> found =
        docker()
            .listContainersCmd()
            .withShowAll(true)
            .withLabelFilter(
                Map.of(
                    "com.docker.compose.project", PROJECT,
                    "com.docker.compose.service", service))
            .exec();
    assertEquals(1, found.size(), "containers of service " + service + ": " + found.size());
    return found.get(0).getId();
  }

  private static InspectContainerResponse inspect(String service) {
    return docker().inspectContainerCmd(containerId(service)).exec();
  }

  private static String logs(String service) throws IOException, InterruptedException {
    return compose(Duration.ofMinutes(1), "logs", "--no-color", service);
  }

  private static void awaitHealthy(String service) {
    Awaitility.await(service + " healthy")
        .atMost(Duration.ofMinutes(4))
        .pollInterval(Duration.ofSeconds(2))
        .until(
            () -> {
              InspectContainerResponse.ContainerState state = inspect(service).getState();
              assertTrue(state.getRunning(), service + " stopped: " + logs(service));
              return state.getHealth() != null && "healthy".equals(state.getHealth().getStatus());
            });
  }

  // ---- the host's side: produce, replay, read ----

  private static ModelSnapshot awaitSnapshot(
      Pipeline pipeline, java.util.function.Predicate<ModelSnapshot> wanted) {
    return Awaitility.await("a snapshot from the trainer")
        .atMost(Duration.ofMinutes(4))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> pipeline.latestSnapshot().orElse(null), s -> s != null && wanted.test(s));
  }

  private static Prediction awaitPrediction(Pipeline pipeline, String id) {
    try (KafkaConsumer<byte[], byte[]> consumer =
        TestPipelines.fromBeginning(pipeline, pipeline.names().predictions())) {
      List<Prediction> found = new ArrayList<>();
      Awaitility.await("prediction " + id)
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ZERO)
          .until(
              () -> {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                  Prediction p =
                      pipeline
                          .serde(Prediction.class)
                          .deserializer()
                          .deserialize(r.topic(), r.value());
                  if (p.getId().equals(id)) {
                    found.add(p);
                  }
                }
                return !found.isEmpty();
              });
      return found.get(0);
    }
  }

  /** The step of the first training metric past {@code step}: the trainer has moved on. */
  private static long awaitTrainingPast(Pipeline pipeline, long step) {
    String topic = pipeline.names().trainingMetrics();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(pipeline.settings().consumerProps(null))) {
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long[] seen = {-1};
      Awaitility.await("training past step " + step)
          .atMost(Duration.ofMinutes(4))
          .pollInterval(Duration.ZERO)
          .until(
              () -> {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                  TrainingMetric m =
                      pipeline
                          .serde(TrainingMetric.class)
                          .deserializer()
                          .deserialize(topic, r.value());
                  if (m.getKind() != MetricKind.TEST_EPOCH && m.getStep() > step) {
                    seen[0] = m.getStep();
                  }
                }
                return seen[0] > step;
              });
      return seen[0];
    }
  }
}
