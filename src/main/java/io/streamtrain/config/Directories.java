package io.streamtrain.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Deleting the directories a run made for itself (state dirs, broker logs, test work dirs). */
public final class Directories {
  private Directories() {}

  /** Deletes {@code root} and everything below it; nothing when it does not exist. */
  public static void deleteRecursively(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot delete " + root + ": " + e.getMessage(), e);
    }
  }

  /** As {@link #deleteRecursively}, but a failure is one line on stderr, not an exception. */
  public static void deleteQuietly(Path root) {
    try {
      deleteRecursively(root);
    } catch (UncheckedIOException e) {
      System.err.println("streamtrain: could not delete " + root + ": " + e.getMessage());
    }
  }
}
