package io.streamtrain.cli;

import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** The options given on the command line, by setting name: the long flag without its dashes. */
final class OptionValues {
  private OptionValues() {}

  /** Each option of {@code spec} (a command or a mixin) that has a value, as text. */
  static Map<String, String> given(CommandSpec spec) {
    Map<String, String> values = new HashMap<>();
    for (OptionSpec option : spec.options()) {
      Object value = option.getValue();
      if (value != null && !option.usageHelp() && !option.versionHelp()) {
        values.put(option.longestName().replaceFirst("^--", ""), value.toString());
      }
    }
    return values;
  }
}
