package io.streamtrain.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Fashion-MNIST's fixed facts: class names (spelled as in the PyTorch quickstart), the four IDX
 * file names, the 28x28x1 image shape, and loading one split from a directory.
 *
 * <p>A directory may hold the files gzip-compressed ({@code train-images-idx3-ubyte.gz}, as
 * published and as Debian ships them) or uncompressed ({@code train-images-idx3-ubyte}); it may
 * also be a torchvision root holding them under {@code FashionMNIST/raw}.
 */
public final class FashionMnist {
  /** Label index to class name, exactly the quickstart's {@code classes} list. */
  public static final List<String> CLASS_NAMES =
      List.of(
          "T-shirt/top",
          "Trouser",
          "Pullover",
          "Dress",
          "Coat",
          "Sandal",
          "Shirt",
          "Sneaker",
          "Bag",
          "Ankle boot");

  public static final ImageShape IMAGE_SHAPE = new ImageShape(28, 28, 1);
  public static final int TRAIN_COUNT = 60_000;
  public static final int TEST_COUNT = 10_000;

  private static final String TORCHVISION_SUBDIR = "FashionMNIST/raw";

  private FashionMnist() {}

  /** Base name of a split's images file, without {@code .gz}. */
  public static String imagesBaseName(Split split) {
    return split == Split.TRAIN ? "train-images-idx3-ubyte" : "t10k-images-idx3-ubyte";
  }

  /** Base name of a split's labels file, without {@code .gz}. */
  public static String labelsBaseName(Split split) {
    return split == Split.TRAIN ? "train-labels-idx1-ubyte" : "t10k-labels-idx1-ubyte";
  }

  /** The published (gzip) file name of a split's images. */
  public static String imagesFileName(Split split) {
    return imagesBaseName(split) + ".gz";
  }

  /** The published (gzip) file name of a split's labels. */
  public static String labelsFileName(Split split) {
    return labelsBaseName(split) + ".gz";
  }

  /** The four published file names: train images, train labels, test images, test labels. */
  public static List<String> fileNames() {
    List<String> names = new ArrayList<>();
    for (Split split : Split.values()) {
      names.add(imagesFileName(split));
      names.add(labelsFileName(split));
    }
    return List.copyOf(names);
  }

  /** Id prefix of a split's images: {@code fashion-mnist-train} or {@code fashion-mnist-test}. */
  public static String datasetName(Split split) {
    return "fashion-mnist-" + split.id();
  }

  /**
   * The directory inside {@code dir} that holds all four files ({@code dir} itself or its
   * torchvision {@code FashionMNIST/raw}), if any.
   */
  public static Optional<Path> findFiles(Path dir) {
    for (Path candidate : List.of(dir, dir.resolve(TORCHVISION_SUBDIR))) {
      if (missingFiles(candidate).isEmpty()) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** Base names of the four files that {@code dir} lacks in both the gzip and the raw form. */
  public static List<String> missingFiles(Path dir) {
    List<String> missing = new ArrayList<>();
    for (Split split : Split.values()) {
      for (String base : List.of(imagesBaseName(split), labelsBaseName(split))) {
        if (resolve(dir, base).isEmpty()) {
          missing.add(base + ".gz");
        }
      }
    }
    return missing;
  }

  /** Loads one split from {@code dir} (see the class comment for the layouts accepted). */
  public static LabeledDataset load(Path dir, Split split) {
    if (!Files.isDirectory(dir)) {
      throw new DatasetException(
          "Fashion-MNIST directory " + dir + " does not exist; pass --data DIR with its IDX files");
    }
    Path filesDir =
        Files.isDirectory(dir.resolve(TORCHVISION_SUBDIR))
                && resolve(dir, imagesBaseName(split)).isEmpty()
            ? dir.resolve(TORCHVISION_SUBDIR)
            : dir;
    Path images = require(filesDir, imagesBaseName(split));
    Path labels = require(filesDir, labelsBaseName(split));
    LabeledDataset dataset = IdxReader.read(images, labels, datasetName(split), CLASS_NAMES);
    if (dataset.rows() != IMAGE_SHAPE.height() || dataset.cols() != IMAGE_SHAPE.width()) {
      throw new DatasetException(
          images
              + " holds "
              + dataset.rows()
              + "x"
              + dataset.cols()
              + " images, Fashion-MNIST's are 28x28; point --data at Fashion-MNIST's files");
    }
    return dataset;
  }

  private static Path require(Path dir, String baseName) {
    return resolve(dir, baseName)
        .orElseThrow(
            () ->
                new DatasetException(
                    dir
                        + " lacks "
                        + baseName
                        + ".gz (or "
                        + baseName
                        + "); it needs Fashion-MNIST's four IDX files"));
  }

  private static Optional<Path> resolve(Path dir, String baseName) {
    for (String name : List.of(baseName + ".gz", baseName)) {
      Path file = dir.resolve(name);
      if (Files.isRegularFile(file)) {
        return Optional.of(file);
      }
    }
    return Optional.empty();
  }
}
