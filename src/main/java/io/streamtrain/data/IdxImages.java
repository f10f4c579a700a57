package io.streamtrain.data;

/** The content of an IDX image file: {@code count} images of rows x cols uint8, row-major. */
public record IdxImages(int count, int rows, int cols, byte[] pixels) {
  public IdxImages {
    if ((long) count * rows * cols != pixels.length) {
      throw new IllegalArgumentException(
          "pixels length " + pixels.length + " != " + count + " x " + rows + " x " + cols);
    }
  }
}
