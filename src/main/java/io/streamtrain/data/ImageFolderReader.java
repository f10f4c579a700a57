package io.streamtrain.data;

import io.streamtrain.schema.LabeledImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a torchvision-style ImageFolder tree: {@code root/<class>/**}{@code /<image>}. Class names
 * are the sorted subfolder names and a class's label is its index in that order, as torchvision's
 * {@code find_classes} does; files are visited in sorted path order per class.
 *
 * <p>PNG and JPEG files (recognised by content, not extension), grayscale or RGB, become records
 * with their original bytes; each is fully decoded once so that a corrupt file never reaches a
 * topic. Any other file, including files directly under the root, is skipped with a warning and
 * counted in the {@link Summary}.
 */
public final class ImageFolderReader {
  private static final Logger log = LoggerFactory.getLogger(ImageFolderReader.class);

  private final Path root;
  private final List<String> classNames;

  /** Scans {@code root}'s class subfolders; fails with one line when there are none. */
  public ImageFolderReader(Path root) {
    this.root = root;
    if (!Files.isDirectory(root)) {
      throw new DatasetException(
          root
              + ": no such directory; pass an ImageFolder root"
              + " (one subfolder per class holding PNG/JPEG files)");
    }
    try (Stream<Path> children = Files.list(root)) {
      this.classNames =
          children
              .filter(Files::isDirectory)
              .map(p -> p.getFileName().toString())
              .sorted()
              .toList();
    } catch (IOException e) {
      throw new DatasetException("cannot list " + root + ": " + e, e);
    }
    if (classNames.isEmpty()) {
      throw new DatasetException(
          root
              + " has no class subfolders; an ImageFolder root holds"
              + " one subfolder per class with PNG/JPEG files in it");
    }
  }

  /** The classes in label order. */
  public List<String> classNames() {
    return classNames;
  }

  /** Counts of one pass, with the skipped files and why, for the command's summary. */
  public record Summary(int images, int skipped, List<String> skippedFiles) {
    public Summary {
      skippedFiles = List.copyOf(skippedFiles);
    }
  }

  /** Reads every image in order into {@code sink}; returns the counts. */
  public Summary read(Consumer<LabeledImage> sink) {
    int images = 0;
    List<String> skipped = new ArrayList<>();
    for (Path file : files()) {
      String relative = relativeName(file);
      Path relativePath = root.relativize(file);
      if (relativePath.getNameCount() < 2) {
        skip(skipped, relative, "not inside a class subfolder");
        continue;
      }
      int label = classNames.indexOf(relativePath.getName(0).toString());
      byte[] bytes;
      try {
        bytes = Files.readAllBytes(file);
      } catch (IOException e) {
        throw new DatasetException("cannot read " + file + ": " + e, e);
      }
      LabeledImage image;
      try {
        image = LabeledImages.fromEncoded(bytes, relative, label, classNames.get(label), relative);
        // Decoding every file is the only way to catch a corrupt body behind a valid header.
        ImageTensors.pixels(image);
      } catch (InvalidImageException e) {
        skip(skipped, relative, e.getMessage());
        continue;
      }
      sink.accept(image);
      images++;
    }
    return new Summary(images, skipped.size(), skipped);
  }

  /** Reads the whole tree into memory (small trees and tests). */
  public List<LabeledImage> readAll() {
    List<LabeledImage> all = new ArrayList<>();
    read(all::add);
    return all;
  }

  /**
   * Files directly under the root (all skipped later), then per class in label order: its
   * directories sorted by path and each one's files sorted by name, as torchvision's {@code
   * make_dataset} walks them.
   */
  private List<Path> files() {
    List<Path> files = new ArrayList<>(sortedFiles(root));
    for (String className : classNames) {
      for (Path dir : sortedDirs(root.resolve(className))) {
        files.addAll(sortedFiles(dir));
      }
    }
    return files;
  }

  private static List<Path> sortedDirs(Path top) {
    try (Stream<Path> walk = Files.walk(top, FileVisitOption.FOLLOW_LINKS)) {
      return walk.filter(Files::isDirectory)
          .sorted((a, b) -> a.toString().compareTo(b.toString()))
          .toList();
    } catch (UncheckedIOException e) {
      throw new DatasetException("cannot walk " + top + ": " + e.getCause(), e);
    } catch (IOException e) {
      throw new DatasetException("cannot walk " + top + ": " + e, e);
    }
  }

  private static List<Path> sortedFiles(Path dir) {
    try (Stream<Path> list = Files.list(dir)) {
      return list.filter(Files::isRegularFile)
          .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()))
          .toList();
    } catch (IOException e) {
      throw new DatasetException("cannot list " + dir + ": " + e, e);
    }
  }

  private String relativeName(Path file) {
    // Forward slashes on every OS, so ids are stable across machines.
    return root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
  }

  private static void skip(List<String> skipped, String file, String reason) {
    log.warn("skipping {}: {}", file, reason);
    skipped.add(file + ": " + reason);
  }
}
