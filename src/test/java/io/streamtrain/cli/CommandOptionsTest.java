package io.streamtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Each command's help shows the options it uses, and only those. */
class CommandOptionsTest {
  @ParameterizedTest
  @ValueSource(strings = {"train", "predict", "evaluate"})
  void shouldShowTheRecordDecodingOptionsWhereRecordsAreDecoded(String command) {
    CommandLine.Result r = CommandLine.run(command, "--help");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("--max-image-pixels"), r.out());
    assertTrue(r.out().contains("--outage-wait-seconds"), r.out());
  }

  @ParameterizedTest
  @ValueSource(strings = {"topics", "produce", "replay", "export", "report", "broker", "registry"})
  void shouldNotShowThemWhereNoRecordIsDecoded(String command) {
    CommandLine.Result r = CommandLine.run(command, "--help");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("--bootstrap"), "the common options stay: " + r.out());
    assertFalse(r.out().contains("--max-image-pixels"), r.out());
    assertFalse(r.out().contains("--outage-wait-seconds"), r.out());
  }

  @ParameterizedTest
  @ValueSource(strings = {"train", "demo", "bench"})
  void shouldShowTheSnapshotCadenceAsOneSetAndHideTheOldSpellings(String command) {
    CommandLine.Result r = CommandLine.run(command, "--help");
    assertEquals(0, r.exitCode(), r.err());
    for (String flag : new String[] {"--snapshot-steps", "--snapshot-ms", "--live-snapshot-ms"}) {
      assertTrue(r.out().contains(flag), flag + " in " + r.out());
    }
    assertTrue(r.out().contains("--evaluate-each-epoch"), r.out());
    assertFalse(r.out().contains("--snapshot-every"), r.out());
    assertFalse(r.out().contains("--snapshot-seconds"), r.out());
  }

  @org.junit.jupiter.api.Test
  void shouldShowOneEventRateFlagForBothLiveBenchmarks() {
    CommandLine.Result r = CommandLine.run("bench", "--help");
    assertTrue(r.out().contains("--event-rate"), r.out());
    assertFalse(r.out().contains("--live-rate"), r.out());
    CommandLine.Result refused = CommandLine.run("bench", "--event-rate", "100");
    assertTrue(refused.err().contains("--event-rate goes with --live or --predict"), refused.err());
  }

  @org.junit.jupiter.api.Test
  void shouldShowTheStateDirectoryOnlyWhereStreamsRunButAcceptItEverywhere() {
    assertTrue(CommandLine.run("train", "--help").out().contains("--state-dir"));
    assertTrue(CommandLine.run("predict", "--help").out().contains("--state-dir"));
    CommandLine.Result topics = CommandLine.run("topics", "--help");
    assertFalse(topics.out().contains("--state-dir"), topics.out());
    assertFalse(topics.out().contains("--model-name"), topics.out());
    assertFalse(CommandLine.run("registry", "--help").out().contains("--topic-prefix"));
    CommandLine.Result accepted =
        CommandLine.run(
            "replay", "--state-dir", "/tmp/x", "--epochs", "0", "--bootstrap", "localhost:1");
    assertFalse(accepted.err().contains("Unknown option"), accepted.err());
  }

  @ParameterizedTest
  @ValueSource(strings = {"--snapshot-ms", "--snapshot-seconds"})
  void shouldPassTheNewAndTheHiddenOldCadenceFlagToTheSettings(String flag) {
    CommandLine.Result r = CommandLine.run("train", flag, "-1", "--bootstrap", "localhost:1");
    assertEquals(1, r.exitCode(), r.err());
    assertTrue(r.err().contains("--snapshot-ms must be >= 0"), r.err());
  }
}
