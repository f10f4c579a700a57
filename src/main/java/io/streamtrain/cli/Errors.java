package io.streamtrain.cli;

import java.util.HashSet;
import java.util.Set;

/** Turns an exception chain into the one line a user sees. */
final class Errors {
  private Errors() {}

  /**
   * The outermost message that says something, followed by the root cause's when it adds
   * information; never a stack trace.
   */
  static String oneLine(Throwable e) {
    String top = message(e);
    Throwable root = e;
    Set<Throwable> seen = new HashSet<>();
    while (root.getCause() != null && seen.add(root)) {
      root = root.getCause();
    }
    String rootMessage = message(root);
    String line = top;
    if (root != e && !top.contains(rootMessage) && !rootMessage.isBlank()) {
      line = top + ": " + rootMessage;
    }
    return line.replace('\n', ' ').replace('\r', ' ');
  }

  private static String message(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }
}
