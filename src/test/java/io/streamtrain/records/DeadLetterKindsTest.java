package io.streamtrain.records;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.data.InvalidImageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** README's table of dead-letter kinds lists exactly the kinds the code can emit. */
class DeadLetterKindsTest {
  private static final String HEADING = "## Dead-letter kinds";
  private static final Pattern ROW = Pattern.compile("^\\|\\s*`([a-z0-9-]+)`\\s*\\|");

  @Test
  void shouldListEveryKindTheCodeEmitsInReadme() throws IOException {
    List<String> documented = readmeKinds(Path.of("docs/reliability.md"));

    assertEquals(
        new HashSet<>(documented).size(),
        documented.size(),
        "a kind twice in README: " + documented);
    assertEquals(
        new TreeSet<>(DeadLetters.KINDS),
        new TreeSet<>(documented),
        "docs/reliability.md's table under '" + HEADING + "' must list DeadLetters.KINDS");
  }

  @Test
  void shouldEnumerateEachKindOnceIncludingEveryImageProblem() {
    assertEquals(new HashSet<>(DeadLetters.KINDS).size(), DeadLetters.KINDS.size());
    for (InvalidImageException.Kind kind : InvalidImageException.Kind.values()) {
      assertTrue(DeadLetters.KINDS.contains(LabeledImageDecoder.kindName(kind)), kind + " missing");
    }
    for (String kind : List.of("encoded-shape-mismatch", "invalid-dimensions", "image-too-large")) {
      assertTrue(DeadLetters.KINDS.contains(kind), kind);
    }
  }

  /** The first backticked word of each row of the table that follows the heading. */
  private static List<String> readmeKinds(Path readme) throws IOException {
    List<String> lines = Files.readAllLines(readme);
    int start = lines.indexOf(HEADING);
    assertFalse(start < 0, "docs/reliability.md has no '" + HEADING + "' section");
    List<String> kinds = new ArrayList<>();
    boolean inTable = false;
    for (String line : lines.subList(start + 1, lines.size())) {
      if (line.startsWith("#")) {
        break;
      }
      if (line.startsWith("|")) {
        inTable = true;
        Matcher row = ROW.matcher(line);
        if (row.find()) {
          kinds.add(row.group(1));
        }
      } else if (inTable) {
        break;
      }
    }
    return kinds;
  }
}
