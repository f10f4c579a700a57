package io.streamtrain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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
