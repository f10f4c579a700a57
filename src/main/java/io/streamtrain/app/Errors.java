package io.streamtrain.app;

import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Turns an exception chain into the one line a user sees, with secrets masked. */
public final class Errors {
  static final String HIDDEN = "[hidden]";

  // A whole JAAS line: sasl.jaas.config=... up to its closing ';' (or the end of the value).
  private static final Pattern JAAS =
      Pattern.compile("(?i)(jaas\\.config\\s*[=:]\\s*)(\"[^\"]*\"|[^;\\n]*;?)");
  // key=value or key: value where the key names a secret (ssl.key.password, basic.auth.user.info,
  // bearer.auth.token, password="..." inside a JAAS line ...).
  private static final Pattern SECRET =
      Pattern.compile(
          "(?i)([\\w.-]*(?:password|passwd|secret|token|user\\.info|userinfo|api[._-]?key)"
              + "[\\w.-]*\\s*[=:]\\s*)(\"[^\"]*\"|'[^']*'|[^\\s,;)\\]}]+)");
  // user:password@ in a URL.
  private static final Pattern URL_USER_INFO = Pattern.compile("(\\w+://)[^/@\\s]+@");
  // Authorization: Basic ... / Bearer ...
  private static final Pattern AUTHORIZATION =
      Pattern.compile("(?i)\\b(basic|bearer)\\s+[A-Za-z0-9+/=._~-]{8,}");
  // Placeholders our own messages use in hints: not secrets.
  private static final Set<String> PLACEHOLDERS = Set.of("user:password", "\"...\"", "V");

  private Errors() {}

  /**
   * The outermost message that says something, followed by the root cause's when it adds
   * information; never a stack trace, never a password, token, JAAS line or URL user info.
   */
  public static String oneLine(Throwable e) {
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
    return mask(line.replace('\n', ' ').replace('\r', ' '));
  }

  /** {@code text} with the values of secret-looking settings and URL credentials hidden. */
  public static String mask(String text) {
    String masked =
        JAAS.matcher(text).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + HIDDEN));
    masked =
        SECRET
            .matcher(masked)
            .replaceAll(
                m ->
                    Matcher.quoteReplacement(
                        PLACEHOLDERS.contains(m.group(2)) || m.group(2).equals(HIDDEN)
                            ? m.group()
                            : m.group(1) + HIDDEN));
    masked =
        URL_USER_INFO.matcher(masked).replaceAll("$1" + Matcher.quoteReplacement(HIDDEN) + "@");
    return AUTHORIZATION.matcher(masked).replaceAll("$1 " + Matcher.quoteReplacement(HIDDEN));
  }

  private static String message(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }
}
