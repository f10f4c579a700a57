package io.streamtrain.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code --input-shape} goes into a torchscript: architecture and nowhere else. */
class InputShapeSettingTest {

  private static Training training(Map<String, String> flags) {
    return SettingsLoader.load(null, Map.of(), flags).training();
  }

  @Test
  void shouldFoldTheInputShapeIntoATorchScriptArchitecture() {
    assertEquals(
        "torchscript:m.pt@3x32x32",
        training(Map.of("architecture", "torchscript:m.pt", "input-shape", "3x32x32"))
            .architecture());
    assertEquals(
        "torchscript:m.pt",
        training(Map.of("architecture", "torchscript:m.pt")).architecture(),
        "no flag: the module's default input 1x28x28 applies when the spec is parsed");
  }

  @Test
  void shouldRefuseAnInputShapeThatCannotApplyWithOneLine() {
    for (Map<String, String> flags :
        new Map[] {
          Map.of("input-shape", "1x28x28"),
          Map.of("architecture", "torchscript:m.pt", "input-shape", "28x28"),
          Map.of("architecture", "torchscript:m.pt@1x28x28", "input-shape", "1x28x28")
        }) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> training(flags), flags.toString());
      assertTrue(e.getMessage().contains("input-shape"), e.getMessage());
      assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }
  }
}
