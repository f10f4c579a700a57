package io.streamtrain.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The snapshot cadence's and the evaluation switch's old names still set them, as they did. */
class RenamedSettingsTest {
  @TempDir Path dir;

  private static Training flags(Map<String, String> flags) {
    return SettingsLoader.load(null, Map.of(), flags).training();
  }

  @Test
  void shouldReadTheOldCadenceNamesInTheNewUnits() {
    Training old = flags(Map.of("snapshot-every", "7", "snapshot-seconds", "3"));
    assertEquals(7, old.snapshotEverySteps());
    assertEquals(3_000, old.snapshotEveryMs());
    Training renamed = flags(Map.of("snapshot-steps", "7", "snapshot-ms", "3000"));
    assertEquals(old, renamed);
    Training reference = flags(Map.of());
    assertEquals(500, reference.snapshotEverySteps());
    assertEquals(30_000, reference.snapshotEveryMs());
  }

  @Test
  void shouldLetAnOldNameGivenAsAFlagBeatTheNewNameInTheFile() throws IOException {
    Path file = dir.resolve("streamtrain.properties");
    Files.writeString(file, "streamtrain.snapshot-ms=1000\nstreamtrain.evaluate=false\n");
    Training t =
        SettingsLoader.load(
                file,
                Map.of("STREAMTRAIN_SNAPSHOT_STEPS", "9"),
                Map.of("snapshot-seconds", "5", "snapshot-every", "4", "snapshot-steps", "6"))
            .training();
    assertEquals(5_000, t.snapshotEveryMs(), "a flag beats the file");
    assertEquals(6, t.snapshotEverySteps(), "within one source the new name wins");
    assertFalse(t.evaluateEachEpoch(), "the old evaluate key still works");
    assertTrue(flags(Map.of("evaluate-each-epoch", "true")).evaluateEachEpoch());
  }

  @Test
  void shouldTakeAdamsBetasAsAPairOfNumbers() {
    Training adam = flags(Map.of("optimizer", "adam", "betas", "0.8,0.99"));
    assertEquals(0.8, adam.beta1());
    assertEquals(0.99, adam.beta2());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> flags(Map.of("betas", "0.9")));
    assertTrue(e.getMessage().contains("--betas must be two numbers"), e.getMessage());
  }

  @Test
  void shouldCheckTheLearningRateOnceWithOneMessage() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> flags(Map.of("lr", "0")));
    assertEquals("--lr must be a positive number (got 0.0)", e.getMessage());
    assertEquals(1e-3 * 0.6 * 0.6, flags(Map.of("preset", "good")).learningRateSchedule().at(3));
  }
}
