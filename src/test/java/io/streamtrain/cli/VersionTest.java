package io.streamtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code --version} names the pom's version and the library versions it runs on. */
class VersionTest {
  @Test
  void shouldPrintThePomsVersionAndTheLibraries() throws Exception {
    String pom = Files.readString(Path.of("pom.xml"));
    CommandLine.Result r = CommandLine.run("--version");
    assertEquals(0, r.exitCode(), r.err());
    String[] lines = r.out().strip().split("\n");
    assertEquals("streamtrain " + property(pom, "version", "<artifactId>streamtrain</artifactId>"), lines[0]);
    assertTrue(
        r.out().contains("DJL " + property(pom, "djl.version", "") + " with PyTorch "
            + property(pom, "pytorch.version", "")), r.out());
    assertTrue(r.out().contains("Kafka " + property(pom, "kafka.version", "")), r.out());
  }

  /** The text of the first {@code <tag>} after {@code after} in the pom. */
  private static String property(String pom, String tag, String after) {
    Matcher m =
        Pattern.compile("<" + Pattern.quote(tag) + ">([^<]+)</")
            .matcher(pom.substring(pom.indexOf(after)));
    assertTrue(m.find(), tag);
    return m.group(1);
  }
}
