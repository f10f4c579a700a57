package io.streamtrain.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code --preset} picks a whole recipe; flags given beside it still win. */
class PresetTest {

  private static Training training(Map<String, String> flags) {
    return SettingsLoader.load(null, Map.of(), flags).training();
  }

  @Test
  void shouldGiveTheCnnPresetItsArchitectureTransformsAndOptimizer() {
    Training cnn = training(Map.of("preset", "cnn"));
    assertEquals("cnn:1x28x28-c32-c64-f256-10", cnn.architecture());
    assertEquals("normalize:0.2860:0.3530", cnn.transforms());
    assertEquals("adam", cnn.optimizer());
    assertEquals(2e-3, cnn.learningRate());
    assertEquals(0.6, cnn.lrDecay());
    assertEquals(64, cnn.batchSize(), "the quickstart's batch");
    assertEquals(1e-3, training(Map.of("preset", "cnn", "lr", "1e-3")).learningRate());
  }

  @Test
  void shouldKeepTheQuickstartByDefaultAndRefuseAnUnknownPresetNamingTheKnownOnes() {
    Training reference = training(Map.of());
    assertEquals(Training.QUICKSTART_MLP, reference.architecture());
    assertEquals("", reference.transforms());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> training(Map.of("preset", "big")));
    assertTrue(e.getMessage().contains("reference, good or cnn"), e.getMessage());
  }
}
