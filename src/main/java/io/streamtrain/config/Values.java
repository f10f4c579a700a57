package io.streamtrain.config;

import java.util.Locale;
import java.util.function.Function;

/** Setting values parsed from their text, with one line naming the setting when malformed. */
final class Values {
  private Values() {}

  static int intOf(String name, String text) {
    return parsed(name, text, Integer::parseInt, "an integer");
  }

  static long longOf(String name, String text) {
    return parsed(name, text, Long::parseLong, "an integer");
  }

  static double doubleOf(String name, String text) {
    return parsed(name, text, Double::parseDouble, "a number");
  }

  static boolean booleanOf(String name, String text) {
    return switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default ->
          throw new IllegalArgumentException(
              "--" + name + " must be true or false (got '" + text + "')");
    };
  }

  /** Two numbers separated by a comma ({@code 0.9,0.999}). */
  static double[] pairOf(String name, String text) {
    String[] parts = text.split(",", -1);
    if (parts.length != 2) {
      throw new IllegalArgumentException(
          "--" + name + " must be two numbers separated by a comma (got '" + text + "')");
    }
    return new double[] {doubleOf(name, parts[0]), doubleOf(name, parts[1])};
  }

  private static <T> T parsed(String name, String text, Function<String, T> parse, String what) {
    try {
      return parse.apply(text.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "--" + name + " must be " + what + " (got '" + text + "')", e);
    }
  }
}
