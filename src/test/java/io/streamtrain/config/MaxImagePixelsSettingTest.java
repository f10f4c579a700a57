package io.streamtrain.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code max-image-pixels} resolves like every setting and refuses what is not a positive count.
 */
class MaxImagePixelsSettingTest {

  @Test
  void shouldDefaultTo4096SquaredAndResolveFromFileEnvironmentAndFlags(@TempDir Path dir)
      throws Exception {
    assertEquals(4096L * 4096, SettingsLoader.load(null, Map.of(), Map.of()).maxImagePixels());
    Path file = dir.resolve("st.properties");
    Files.writeString(file, "streamtrain.max-image-pixels=1000\n");
    assertEquals(1000, SettingsLoader.load(file, Map.of(), Map.of()).maxImagePixels());
    Map<String, String> env = Map.of("STREAMTRAIN_MAX_IMAGE_PIXELS", "2000");
    assertEquals(2000, SettingsLoader.load(file, env, Map.of()).maxImagePixels());
    assertEquals(
        3000, SettingsLoader.load(file, env, Map.of("max-image-pixels", "3000")).maxImagePixels());
    assertEquals(
        3000,
        SettingsLoader.load(null, Map.of(), Map.of("max-image-pixels", "3000"))
            .withBootstrap("elsewhere:9092")
            .maxImagePixels());
  }

  @Test
  void shouldRefuseANonPositiveOrNonNumericLimitSayingWhichSetting() {
    IllegalArgumentException zero =
        assertThrows(
            IllegalArgumentException.class,
            () -> SettingsLoader.load(null, Map.of(), Map.of("max-image-pixels", "0")));
    assertEquals("--max-image-pixels must be positive (got 0)", zero.getMessage());
    IllegalArgumentException text =
        assertThrows(
            IllegalArgumentException.class,
            () -> SettingsLoader.load(null, Map.of(), Map.of("max-image-pixels", "lots")));
    assertEquals("--max-image-pixels must be an integer (got 'lots')", text.getMessage());
  }
}
