package io.streamtrain.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/** PNG/JPEG bytes with known pixels for tests. */
final class TestImages {
  private TestImages() {}

  /** A grayscale image whose pixel (y, x) is {@code (y * width + x) * 3 % 256}. */
  static BufferedImage gray(int height, int width) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int v = grayValue(y, x, width);
        image.getRaster().setSample(x, y, 0, v);
      }
    }
    return image;
  }

  static int grayValue(int y, int x, int width) {
    return (y * width + x) * 3 % 256;
  }

  /** An RGB image whose pixel (y, x) is r = 10y + x, g = 100 + x, b = 200 + y. */
  static BufferedImage rgb(int height, int width) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int rgb = (rgbValue(y, x, 0) << 16) | (rgbValue(y, x, 1) << 8) | rgbValue(y, x, 2);
        image.setRGB(x, y, rgb);
      }
    }
    return image;
  }

  static int rgbValue(int y, int x, int channel) {
    return switch (channel) {
      case 0 -> 10 * y + x;
      case 1 -> 100 + x;
      default -> 200 + y;
    };
  }

  static byte[] encode(BufferedImage image, String format) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(image, format, out)) {
        throw new IllegalStateException("no ImageIO writer for " + format);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
