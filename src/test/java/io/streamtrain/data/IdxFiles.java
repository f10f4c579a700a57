package io.streamtrain.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Builds small IDX files for tests. */
final class IdxFiles {
  private IdxFiles() {}

  /** An IDX images file body: count images of rows x cols, pixel (i, p) = (i * 7 + p) % 256. */
  static byte[] images(int count, int rows, int cols) {
    ByteBuffer buffer = ByteBuffer.allocate(16 + count * rows * cols);
    buffer.putInt(IdxReader.IMAGES_MAGIC).putInt(count).putInt(rows).putInt(cols);
    for (int i = 0; i < count; i++) {
      for (int p = 0; p < rows * cols; p++) {
        buffer.put((byte) pixel(i, p));
      }
    }
    return buffer.array();
  }

  static int pixel(int image, int position) {
    return (image * 7 + position) % 256;
  }

  /** An IDX labels file body: count labels, label i = i % 10. */
  static byte[] labels(int count) {
    ByteBuffer buffer = ByteBuffer.allocate(8 + count);
    buffer.putInt(IdxReader.LABELS_MAGIC).putInt(count);
    for (int i = 0; i < count; i++) {
      buffer.put((byte) (i % 10));
    }
    return buffer.array();
  }

  static byte[] gzip(byte[] bytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static Path write(Path file, byte[] bytes) {
    try {
      Files.createDirectories(file.getParent());
      return Files.write(file, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes a complete small Fashion-MNIST-shaped directory (28x28, gzip). */
  static Path writeFashionMnist(Path dir, int trainCount, int testCount) {
    for (Split split : Split.values()) {
      int count = split == Split.TRAIN ? trainCount : testCount;
      write(dir.resolve(FashionMnist.imagesFileName(split)), gzip(images(count, 28, 28)));
      write(dir.resolve(FashionMnist.labelsFileName(split)), gzip(labels(count)));
    }
    return dir;
  }
}
