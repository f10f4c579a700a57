package io.streamtrain.data;

import io.streamtrain.data.InvalidImageException.Kind;
import io.streamtrain.schema.ImageEncoding;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.Optional;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Reads PNG and JPEG bytes with javax.imageio: the format from the magic bytes, the header (height,
 * width, channels) without decoding pixels, and the pixels as uint8 HWC.
 *
 * <p>Channels follow the file: 1 for grayscale (with or without alpha), 3 for colour; alpha is
 * dropped and palette images become RGB, as PIL's {@code convert("RGB")} does. 16-bit samples are
 * reduced to their high 8 bits. Every failure is an {@link InvalidImageException} of kind {@link
 * Kind#UNDECODABLE_IMAGE}.
 */
public final class ImageDecoder {
  private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};

  /** What the header says: format and shape. */
  public record Header(ImageEncoding encoding, ImageShape shape) {}

  /** Decoded pixels, uint8 row-major HWC. */
  public record Decoded(ImageShape shape, byte[] hwc) {}

  private ImageDecoder() {}

  /** PNG or JPEG by magic bytes; empty for anything else. */
  public static Optional<ImageEncoding> sniff(byte[] bytes) {
    if (bytes.length >= PNG_MAGIC.length) {
      boolean png = true;
      for (int i = 0; i < PNG_MAGIC.length && png; i++) {
        png = bytes[i] == PNG_MAGIC[i];
      }
      if (png) {
        return Optional.of(ImageEncoding.PNG);
      }
    }
    if (bytes.length >= 3
        && (bytes[0] & 0xff) == 0xff
        && (bytes[1] & 0xff) == 0xd8
        && (bytes[2] & 0xff) == 0xff) {
      return Optional.of(ImageEncoding.JPEG);
    }
    return Optional.empty();
  }

  /** Reads the format and shape from the header only. */
  public static Header readHeader(byte[] bytes, String imageId) {
    ImageEncoding encoding = requireEncoding(bytes, imageId);
    ImageReader reader = newReader(encoding, imageId);
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
      reader.setInput(in, true, true);
      int width = reader.getWidth(0);
      int height = reader.getHeight(0);
      ImageTypeSpecifier type = reader.getRawImageType(0);
      if (type == null) {
        Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
        type = types.hasNext() ? types.next() : null;
      }
      if (type == null) {
        throw undecodable(imageId, encoding + " image has a colour type Java cannot read", null);
      }
      return new Header(encoding, new ImageShape(height, width, channels(type.getColorModel())));
    } catch (IOException | RuntimeException e) {
      if (e instanceof InvalidImageException invalid) {
        throw invalid;
      }
      throw undecodable(imageId, "cannot read the " + encoding + " header: " + e.getMessage(), e);
    } finally {
      reader.dispose();
    }
  }

  /** Decodes PNG or JPEG bytes into uint8 HWC pixels. */
  public static Decoded decode(byte[] bytes, String imageId) {
    ImageEncoding encoding = requireEncoding(bytes, imageId);
    ImageReader reader = newReader(encoding, imageId);
    BufferedImage image;
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
      reader.setInput(in, true, true);
      image = reader.read(0);
    } catch (IOException | RuntimeException e) {
      throw undecodable(imageId, "cannot decode the " + encoding + " image: " + e.getMessage(), e);
    } finally {
      reader.dispose();
    }
    int channels = channels(image.getColorModel());
    ImageShape shape = new ImageShape(image.getHeight(), image.getWidth(), channels);
    byte[] hwc = channels == 1 ? grayPixels(image) : rgbPixels(image);
    return new Decoded(shape, hwc);
  }

  private static int channels(ColorModel model) {
    boolean gray = model.getNumColorComponents() == 1 && !(model instanceof IndexColorModel);
    return gray ? 1 : 3;
  }

  private static byte[] grayPixels(BufferedImage image) {
    int width = image.getWidth();
    int height = image.getHeight();
    Raster raster = image.getRaster();
    byte[] out = new byte[width * height];
    if (image.getType() == BufferedImage.TYPE_BYTE_GRAY
        && raster.getDataBuffer() instanceof DataBufferByte buffer
        && raster.getSampleModel() instanceof PixelInterleavedSampleModel model
        && model.getPixelStride() == 1
        && model.getScanlineStride() == width
        && raster.getSampleModelTranslateX() == 0
        && raster.getSampleModelTranslateY() == 0) {
      System.arraycopy(
          buffer.getData(), buffer.getOffset() + model.getOffset(0, 0), out, 0, out.length);
      return out;
    }
    int shift = Math.max(0, raster.getSampleModel().getSampleSize(0) - 8);
    int[] row = new int[width];
    for (int y = 0; y < height; y++) {
      raster.getSamples(0, y, width, 1, 0, row);
      for (int x = 0; x < width; x++) {
        out[y * width + x] = (byte) (row[x] >>> shift);
      }
    }
    return out;
  }

  private static byte[] rgbPixels(BufferedImage image) {
    int width = image.getWidth();
    int height = image.getHeight();
    byte[] out = new byte[width * height * 3];
    int[] row = new int[width];
    for (int y = 0; y < height; y++) {
      image.getRGB(0, y, width, 1, row, 0, width);
      int base = y * width * 3;
      for (int x = 0; x < width; x++) {
        int argb = row[x];
        out[base + 3 * x] = (byte) (argb >>> 16);
        out[base + 3 * x + 1] = (byte) (argb >>> 8);
        out[base + 3 * x + 2] = (byte) argb;
      }
    }
    return out;
  }

  private static ImageEncoding requireEncoding(byte[] bytes, String imageId) {
    return sniff(bytes)
        .orElseThrow(() -> undecodable(imageId, "data is neither PNG nor JPEG", null));
  }

  private static ImageReader newReader(ImageEncoding encoding, String imageId) {
    Iterator<ImageReader> readers =
        ImageIO.getImageReadersByFormatName(encoding == ImageEncoding.PNG ? "png" : "jpeg");
    if (!readers.hasNext()) {
      throw undecodable(imageId, "this Java runtime has no " + encoding + " reader", null);
    }
    return readers.next();
  }

  private static InvalidImageException undecodable(String imageId, String message, Throwable e) {
    return new InvalidImageException(Kind.UNDECODABLE_IMAGE, imageId, message, e);
  }
}
