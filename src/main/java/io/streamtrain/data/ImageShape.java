package io.streamtrain.data;

/** Height, width and channels of an image or of a model's input (HWC, channels 1 or 3). */
public record ImageShape(int height, int width, int channels) {
  public ImageShape {
    if (height <= 0 || width <= 0 || channels <= 0) {
      throw new IllegalArgumentException(
          "image shape must be positive, got " + height + "x" + width + "x" + channels);
    }
  }

  /**
   * The image a model takes, from its per-example input shape: (C, H, W) as it is, or a vector of N
   * features as the square image it flattens (N = S*S gray or 3*S*S RGB; else Fashion-MNIST's).
   */
  public static ImageShape ofModelInput(long[] input) {
    if (input.length == 3) {
      return new ImageShape((int) input[1], (int) input[2], (int) input[0]);
    }
    int features = (int) input[0];
    int side = (int) Math.round(Math.sqrt(features));
    if (side * side == features) {
      return new ImageShape(side, side, 1);
    }
    int rgbSide = (int) Math.round(Math.sqrt(features / 3.0));
    if (rgbSide * rgbSide * 3 == features) {
      return new ImageShape(rgbSide, rgbSide, 3);
    }
    return FashionMnist.IMAGE_SHAPE;
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
