package io.streamtrain.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistTest {
  @TempDir Path dir;

  @Test
  void shouldNameClassesAsTheQuickstartDoes() {
    assertEquals(
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
            "Ankle boot"),
        FashionMnist.CLASS_NAMES);
    assertEquals(
        List.of(
            "train-images-idx3-ubyte.gz",
            "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz"),
        FashionMnist.fileNames());
  }

  @Test
  void shouldLoadTheDebianPackageFilesWhenInstalled() {
    Path debian = DatasetLocator.DEBIAN_PACKAGE_DIR;
    assumeTrue(FashionMnist.findFiles(debian).isPresent(), "dataset-fashion-mnist not installed");

    long start = System.nanoTime();
    LabeledDataset train = FashionMnist.load(debian, Split.TRAIN);
    long trainNanos = System.nanoTime() - start;
    LabeledDataset test = FashionMnist.load(debian, Split.TEST);

    // Informational only (benchmarks are commands, not assertions): the report quotes it.
    System.err.printf("loaded 60,000 training images in %d ms%n", trainNanos / 1_000_000);
    assertEquals(FashionMnist.TRAIN_COUNT, train.count());
    assertEquals(FashionMnist.TEST_COUNT, test.count());
    assertEquals(28, train.rows());
    assertEquals(28, train.cols());
    assertEquals(9, test.label(0));
    assertEquals("Ankle boot", test.className(0));
    assertEquals("fashion-mnist-test", test.name());
    assertEquals("t10k-images-idx3-ubyte.gz", test.sourceFile());
  }

  @Test
  void shouldLoadUncompressedFilesInTorchvisionLayout() {
    Path raw = dir.resolve("FashionMNIST/raw");
    for (Split split : Split.values()) {
      IdxFiles.write(raw.resolve(FashionMnist.imagesBaseName(split)), IdxFiles.images(3, 28, 28));
      IdxFiles.write(raw.resolve(FashionMnist.labelsBaseName(split)), IdxFiles.labels(3));
    }

    assertEquals(raw, FashionMnist.findFiles(dir).orElseThrow());
    assertEquals(3, FashionMnist.load(dir, Split.TEST).count());
  }

  @Test
  void shouldRejectImagesThatAreNot28x28() throws Exception {
    IdxFiles.writeFashionMnist(dir, 2, 2);
    Files.write(
        dir.resolve(FashionMnist.imagesFileName(Split.TRAIN)),
        IdxFiles.gzip(IdxFiles.images(2, 32, 32)));

    DatasetException e =
        assertThrows(DatasetException.class, () -> FashionMnist.load(dir, Split.TRAIN));

    assertTrue(
        e.getMessage().contains("holds 32x32 images, Fashion-MNIST's are 28x28"), e.getMessage());
  }

  @Test
  void shouldNameTheMissingFile() {
    IdxFiles.write(
        dir.resolve(FashionMnist.imagesFileName(Split.TEST)),
        IdxFiles.gzip(IdxFiles.images(2, 28, 28)));

    DatasetException e =
        assertThrows(DatasetException.class, () -> FashionMnist.load(dir, Split.TEST));

    assertTrue(e.getMessage().contains("lacks t10k-labels-idx1-ubyte.gz"), e.getMessage());
  }
}
