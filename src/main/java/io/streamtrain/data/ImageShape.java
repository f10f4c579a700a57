package io.streamtrain.data;

/** Height, width and channels of an image or of a model's input (HWC, channels 1 or 3). */
public record ImageShape(int height, int width, int channels) {
  public ImageShape {
    if (height <= 0 || width <= 0 || channels <= 0) {
      throw new IllegalArgumentException(
          "image shape must be positive, got " + height + "x" + width + "x" + channels);
    }
  }

  /** Number of uint8 values (or floats) of one image: height x width x channels. */
  public int size() {
    return height * width * channels;
  }

  @Override
  public String toString() {
    return height + "x" + width + "x" + channels;
  }
}
