package io.streamtrain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.cli.Main;
import io.streamtrain.config.Training;
import io.streamtrain.model.Learner;
import io.streamtrain.model.Learners;
import io.streamtrain.model.StateDictFiles;
import io.streamtrain.model.StateDicts;
import io.streamtrain.schema.ModelSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code train} refuses what it cannot do exactly with one line, before anything runs. */
class TrainCommandIT {
  private static Scenario scenario;

  @BeforeAll
  static void start() {
    scenario = Scenario.embedded();
    scenario.createTopics();
  }

  @AfterAll
  static void stop() {
    scenario.close();
  }

  /** Runs {@code streamtrain train <args>} in this JVM; returns exit code and stderr. */
  private static Object[] train(String... args) {
    List<String> all = new ArrayList<>(List.of("train", "--epochs", "1"));
    all.addAll(List.of(args));
    PrintStream original = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int code = Main.run(all.toArray(String[]::new));
      return new Object[] {code, err.toString(StandardCharsets.UTF_8).strip()};
    } finally {
      System.setErr(original);
    }
  }

  private static String[] common(String model) {
    return scenario.commandLine(model, scenario.newDir("state"), Map.of()).toArray(String[]::new);
  }

  @Test
  void shouldRefuseASnapshotVersionThatIsNotOnTheTopic() {
    List<String> args = new ArrayList<>(List.of(common("m")));
    args.addAll(List.of("--snapshot-version", "7"));
    Object[] result = train(args.toArray(String[]::new));
    assertEquals(1, result[0]);
    String line = (String) result[1];
    assertTrue(
        line.startsWith("streamtrain: --snapshot-version 7: model m has no such snapshot"), line);
    assertEquals(1, line.lines().count(), line);
  }

  @Test
  void shouldRefuseAStateDictOfAnotherArchitectureInOneLine() {
    Path file = scenario.newDir("init").resolve("other.pth");
    StateDictFiles.save(io.streamtrain.serving.VersionedModels.snapshot("x", 1), file);
    List<String> args = new ArrayList<>(List.of(common("refused")));
    args.addAll(List.of("--init-from", file.toString()));
    Object[] result = train(args.toArray(String[]::new));
    assertEquals(1, result[0]);
    String line = (String) result[1];
    assertEquals(1, line.lines().count(), line);
    assertTrue(line.startsWith("streamtrain: model file ") && line.contains("[512, 784]"), line);
    assertTrue(scenario.snapshots("refused").isEmpty(), "nothing published");
  }

  @Test
  void shouldStartFromAPyTorchStateDictAndKeepLearning() {
    String model = "initialised";
    Path file = scenario.newDir("init").resolve("start.pth");
    Training other = Training.reference(); // the quickstart MLP, another seed than the run's
    try (Learner learner = Learners.create(other)) {
      StateDictFiles.save(StateDicts.snapshot(learner, "elsewhere").version(0).build(), file);
    }
    ModelSnapshot fromFile = StateDictFiles.load(file);
    Scenario s = Scenario.onBootstrap(scenario.bootstrap());
    s.createTopics();
    s.produce(s.pipeline().names().imagesTrain(), TestPipelines.images("init", 256, 9));
    s.replay(1);
    List<String> args = new ArrayList<>(s.commandLine(model, s.newDir("state"), Map.of()));
    args.addAll(List.of("--init-from", file.toString()));
    Object[] result = train(args.toArray(String[]::new));
    assertEquals(0, result[0], (String) result[1]);
    List<ModelSnapshot> published = s.snapshots(model);
    ModelSnapshot first = published.get(0);
    assertEquals(0, first.getVersion());
    for (int i = 0; i < fromFile.getTensors().size(); i++) {
      assertEquals(
          fromFile.getTensors().get(i).getData(),
          first.getTensors().get(i).getData(),
          "the file's " + fromFile.getTensors().get(i).getName() + ", bit for bit");
    }
    ModelSnapshot end = published.stream().filter(Scenario.endOfEpoch(1)).findFirst().orElseThrow();
    assertEquals(4, end.getVersion(), "256 images in batches of 64, stepped from the file's model");
  }

  @Test
  void shouldRefuseFromScratchTogetherWithASnapshotVersion() {
    List<String> args = new ArrayList<>(List.of(common("m")));
    args.addAll(List.of("--snapshot-version", "7", "--from-scratch"));
    Object[] result = train(args.toArray(String[]::new));
    assertEquals(1, result[0]);
    assertTrue(((String) result[1]).contains("exclude each other"), (String) result[1]);
  }

  @Test
  void shouldRefuseAFeedOfSeveralPartitions() throws Exception {
    Scenario other = Scenario.onBootstrap(scenario.bootstrap());
    try (Admin admin = Admin.create(other.pipeline().settings().adminProps())) {
      admin
          .createTopics(List.of(new NewTopic(other.pipeline().names().trainFeed(), 3, (short) 1)))
          .all()
          .get();
    }
    other.createTopics();
    String[] args = other.commandLine("m", other.newDir("state"), Map.of()).toArray(String[]::new);
    Object[] result = train(args);
    other.close();
    assertEquals(1, result[0]);
    String line = (String) result[1];
    assertTrue(line.contains("has 3 partitions; the trainer needs exactly 1"), line);
  }
}
