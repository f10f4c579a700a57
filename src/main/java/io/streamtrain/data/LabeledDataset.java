package io.streamtrain.data;

import java.util.Arrays;
import java.util.List;

/**
 * A labeled grayscale image dataset held in two compact arrays: {@code pixels} has {@code count}
 * images of rows x cols uint8 back to back (row-major), {@code labels} one uint8 label per image.
 *
 * <p>{@code name} prefixes image ids (e.g. {@code fashion-mnist-train}) and {@code sourceFile}
 * names the images file records point back to (e.g. {@code train-images-idx3-ubyte.gz}). The arrays
 * are shared, not copied: treat them as read-only.
 */
public record LabeledDataset(
    String name,
    String sourceFile,
    int count,
    int rows,
    int cols,
    byte[] pixels,
    byte[] labels,
    List<String> classNames) {

  public LabeledDataset {
    classNames = List.copyOf(classNames);
    if ((long) count * rows * cols != pixels.length || labels.length != count) {
      throw new IllegalArgumentException(
          "dataset arrays do not match count "
              + count
              + " of "
              + rows
              + "x"
              + cols
              + ": pixels "
              + pixels.length
              + ", labels "
              + labels.length);
    }
  }

  /** Bytes of one image: rows x cols. */
  public int imageSize() {
    return rows * cols;
  }

  /** The shape of one image (channels 1). */
  public ImageShape shape() {
    return new ImageShape(rows, cols, 1);
  }

  /** A copy of image {@code i}'s rows x cols pixels. */
  public byte[] image(int i) {
    checkIndex(i);
    int offset = i * imageSize();
    return Arrays.copyOfRange(pixels, offset, offset + imageSize());
  }

  /** Offset of image {@code i} in {@link #pixels()}, for copy-free readers. */
  public int imageOffset(int i) {
    checkIndex(i);
    return i * imageSize();
  }

  /** Label of image {@code i}, 0..255 (labels are unsigned bytes). */
  public int label(int i) {
    checkIndex(i);
    return Byte.toUnsignedInt(labels[i]);
  }

  /** Class name of image {@code i}'s label. */
  public String className(int i) {
    return classNames.get(label(i));
  }

  private void checkIndex(int i) {
    if (i < 0 || i >= count) {
      throw new IndexOutOfBoundsException("image index " + i + " outside 0.." + (count - 1));
    }
  }

  @Override
  public String toString() {
    return "LabeledDataset[" + name + ", " + count + " images " + rows + "x" + cols + "]";
  }
}
