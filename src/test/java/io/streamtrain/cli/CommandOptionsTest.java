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
}
