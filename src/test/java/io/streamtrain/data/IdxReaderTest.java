package io.streamtrain.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdxReaderTest {
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void shouldReadImagesAndLabelsGzipOrRaw(boolean gzip) {
    byte[] images = IdxFiles.images(5, 3, 4);
    byte[] labels = IdxFiles.labels(5);
    Path imagesFile = IdxFiles.write(dir.resolve("img"), gzip ? IdxFiles.gzip(images) : images);
    Path labelsFile = IdxFiles.write(dir.resolve("lbl"), gzip ? IdxFiles.gzip(labels) : labels);

    LabeledDataset dataset =
        IdxReader.read(imagesFile, labelsFile, "tiny", FashionMnist.CLASS_NAMES);

    assertEquals(5, dataset.count());
    assertEquals(3, dataset.rows());
    assertEquals(4, dataset.cols());
    assertArrayEquals(Arrays.copyOfRange(images, 16, images.length), dataset.pixels());
    assertEquals(IdxFiles.pixel(2, 5), Byte.toUnsignedInt(dataset.image(2)[5]));
    assertEquals(3, dataset.label(3));
    assertEquals("Dress", dataset.className(3));
    assertEquals("img", dataset.sourceFile());
  }

  @Test
  void shouldDetectGzipByMagicBytesNotByName() {
    Path gzipWithoutSuffix =
        IdxFiles.write(dir.resolve("labels-raw-name"), IdxFiles.gzip(IdxFiles.labels(4)));
    Path rawWithGzSuffix = IdxFiles.write(dir.resolve("labels.gz"), IdxFiles.labels(4));

    assertEquals(4, IdxReader.readLabels(gzipWithoutSuffix).length);
    assertEquals(4, IdxReader.readLabels(rawWithGzSuffix).length);
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void shouldRejectTruncatedIdxFileNamingExpectedAndActualBytes(boolean gzip) {
    byte[] images = Arrays.copyOf(IdxFiles.images(10, 4, 4), 16 + 100);
    Path file = IdxFiles.write(dir.resolve("cut-images"), gzip ? IdxFiles.gzip(images) : images);

    DatasetException e = assertThrows(DatasetException.class, () -> IdxReader.readImages(file));

    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    assertTrue(e.getMessage().contains("expected 176 bytes, found 116"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
  }

  @Test
  void shouldRejectGzipStreamCutOffMidway() {
    byte[] compressed = IdxFiles.gzip(IdxFiles.images(50, 28, 28));
    Path file =
        IdxFiles.write(dir.resolve("cut.gz"), Arrays.copyOf(compressed, compressed.length / 2));

    DatasetException e = assertThrows(DatasetException.class, () -> IdxReader.readImages(file));

    assertTrue(e.getMessage().contains("is truncated"), e.getMessage());
    assertTrue(
        e.getMessage().contains("expected " + (16 + 50 * 28 * 28) + " bytes"), e.getMessage());
  }

  @Test
  void shouldRejectFileShorterThanHeader() {
    Path file = IdxFiles.write(dir.resolve("empty"), new byte[0]);

    DatasetException e = assertThrows(DatasetException.class, () -> IdxReader.readLabels(file));

    assertTrue(e.getMessage().contains("header of 8 bytes, found 0"), e.getMessage());
  }

  @Test
  void shouldRejectWrongMagicNumber() {
    Path labelsFile = IdxFiles.write(dir.resolve("labels"), IdxFiles.labels(3));

    DatasetException e =
        assertThrows(DatasetException.class, () -> IdxReader.readImages(labelsFile));

    assertTrue(
        e.getMessage().contains("magic number 2049 (it is a labels file), expected 2051"),
        e.getMessage());
  }

  @Test
  void shouldRejectGarbageMagicNumber() {
    Path file = IdxFiles.write(dir.resolve("text"), "hello, not an idx file".getBytes());

    DatasetException e = assertThrows(DatasetException.class, () -> IdxReader.readLabels(file));

    assertTrue(e.getMessage().contains("is not an IDX labels file"), e.getMessage());
  }

  @Test
  void shouldRejectTrailingBytesAfterAnnouncedCount() {
    byte[] labels = Arrays.copyOf(IdxFiles.labels(3), 8 + 3 + 2);
    Path file = IdxFiles.write(dir.resolve("long"), labels);

    DatasetException e = assertThrows(DatasetException.class, () -> IdxReader.readLabels(file));

    assertTrue(e.getMessage().contains("has 2 bytes after the announced 3 labels"), e.getMessage());
  }

  @Test
  void shouldRejectLabelAndImageCountMismatch() {
    Path images = IdxFiles.write(dir.resolve("img"), IdxFiles.gzip(IdxFiles.images(5, 2, 2)));
    Path labels = IdxFiles.write(dir.resolve("lbl"), IdxFiles.gzip(IdxFiles.labels(4)));

    DatasetException e =
        assertThrows(
            DatasetException.class,
            () -> IdxReader.read(images, labels, "x", FashionMnist.CLASS_NAMES));

    assertTrue(
        e.getMessage().contains("has 5 images but " + labels + " has 4 labels"), e.getMessage());
  }

  @Test
  void shouldRejectLabelOutsideClassNames() {
    Path images = IdxFiles.write(dir.resolve("img"), IdxFiles.images(10, 2, 2));
    Path labels = IdxFiles.write(dir.resolve("lbl"), IdxFiles.labels(10));

    DatasetException e =
        assertThrows(
            DatasetException.class,
            () -> IdxReader.read(images, labels, "x", FashionMnist.CLASS_NAMES.subList(0, 5)));

    assertTrue(e.getMessage().contains("label 5 of image 5 outside 0..4"), e.getMessage());
  }

  @Test
  void shouldRejectInvalidDimensions() {
    byte[] images = IdxFiles.images(1, 2, 2);
    images[11] = 0; // rows = 0
    Path file = IdxFiles.write(dir.resolve("zero-rows"), images);

    DatasetException e = assertThrows(DatasetException.class, () -> IdxReader.readImages(file));

    assertTrue(e.getMessage().contains("invalid dimensions 1 x 0 x 2"), e.getMessage());
  }

  @Test
  void shouldRejectMissingFileInOneLine() {
    Path missing = dir.resolve("nope.gz");

    DatasetException e = assertThrows(DatasetException.class, () -> IdxReader.readImages(missing));

    assertEquals(missing + ": no such file", e.getMessage());
  }
}
