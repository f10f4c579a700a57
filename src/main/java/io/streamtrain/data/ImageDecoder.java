package io.streamtrain.data;

import io.streamtrain.config.Settings;
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
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
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
 * <p>Pixels are decoded only after the header was read and checked: its pixel count against a limit
 * ({@link Kind#IMAGE_TOO_LARGE}) and, where the caller knows it, its shape against the record's
 * ({@link Kind#ENCODED_SHAPE_MISMATCH}). So what a file declares never makes decoding allocate more
 * than the limit, whatever the file holds. Any other format is refused before an ImageIO reader
 * sees it; ancillary chunks and metadata (compressed text, ICC profiles) are never inflated. A file
 * the decoder warns about (a truncated or corrupt JPEG, which libjpeg would fill with grey) is
 * refused, as PIL refuses a truncated file.
 *
 * <p>Channels follow the file: 1 for grayscale (with or without alpha), 3 for colour; alpha is
 * dropped and palette images become RGB, as PIL's {@code convert("RGB")} does. 16-bit samples are
 * reduced to their high 8 bits. Every other failure is an {@link InvalidImageException} of kind
 * {@link Kind#UNDECODABLE_IMAGE}.
 */
public final class ImageDecoder {
  /** Pixels an image may declare unless configured otherwise ({@code max-image-pixels}). */
  public static final long DEFAULT_MAX_PIXELS = Settings.DEFAULT_MAX_IMAGE_PIXELS;

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
      return new Header(encoding, header(reader, encoding, imageId));
    } catch (IOException | RuntimeException e) {
      throw asInvalid(e, imageId, "cannot read the " + encoding + " header");
    } finally {
      reader.dispose();
    }
  }

  /** Decodes PNG or JPEG bytes into uint8 HWC pixels, if they declare at most the default limit. */
  public static Decoded decode(byte[] bytes, String imageId) {
    return decode(bytes, imageId, DEFAULT_MAX_PIXELS);
  }

  /** Decodes PNG or JPEG bytes into uint8 HWC pixels, if they declare at most {@code maxPixels}. */
  public static Decoded decode(byte[] bytes, String imageId, long maxPixels) {
    return read(bytes, imageId, null, null, maxPixels);
  }

  /**
   * Decodes a record's image after checking, before any pixel, that the bytes are in the {@code
   * declaredEncoding} and that the header declares at most {@code maxPixels} and exactly the {@code
   * declared} shape.
   */
  public static byte[] decodeExactly(
      byte[] bytes,
      String imageId,
      ImageEncoding declaredEncoding,
      ImageShape declared,
      long maxPixels) {
    return read(bytes, imageId, declaredEncoding, declared, maxPixels).hwc();
  }

  private static Decoded read(
      byte[] bytes,
      String imageId,
      ImageEncoding declaredEncoding,
      ImageShape declared,
      long maxPixels) {
    ImageEncoding encoding = requireEncoding(bytes, imageId);
    if (declaredEncoding != null && declaredEncoding != encoding) {
      throw undecodable(
          imageId, "data is " + encoding + " but the record says " + declaredEncoding, null);
    }
    ImageReader reader = newReader(encoding, imageId);
    List<String> warnings = new ArrayList<>();
    reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
      reader.setInput(in, true, true);
      ImageShape shape = header(reader, encoding, imageId);
      long pixels = (long) shape.height() * shape.width();
      if (pixels > maxPixels) {
        throw new InvalidImageException(
            Kind.IMAGE_TOO_LARGE,
            imageId,
            encoding
                + " header declares "
                + shape
                + " ("
                + pixels
                + " pixels), more than the limit of "
                + maxPixels
                + " (max-image-pixels)");
      }
      if (declared != null && !shape.equals(declared)) {
        throw shapeMismatch(imageId, encoding, shape, declared);
      }
      BufferedImage image = reader.read(0);
      if (!warnings.isEmpty()) {
        throw undecodable(
            imageId, encoding + " image is truncated or corrupt: " + warnings.get(0), null);
      }
      int channels = channels(image.getColorModel());
      ImageShape decoded = new ImageShape(image.getHeight(), image.getWidth(), channels);
      if (!decoded.equals(shape)) {
        throw shapeMismatch(imageId, encoding, decoded, shape);
      }
      byte[] hwc = channels == 1 ? grayPixels(image) : rgbPixels(image);
      return new Decoded(decoded, hwc);
    } catch (IOException | RuntimeException e) {
      throw asInvalid(e, imageId, "cannot decode the " + encoding + " image");
    } finally {
      reader.dispose();
    }
  }

  /** The shape the header declares, read without decoding pixels. */
  private static ImageShape header(ImageReader reader, ImageEncoding encoding, String imageId)
      throws IOException {
    int width = reader.getWidth(0);
    int height = reader.getHeight(0);
    if (width <= 0 || height <= 0) {
      throw undecodable(
          imageId, encoding + " header declares " + height + "x" + width + " pixels", null);
    }
    ImageTypeSpecifier type = reader.getRawImageType(0);
    if (type == null) {
      Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
      type = types.hasNext() ? types.next() : null;
    }
    if (type == null) {
      throw undecodable(imageId, encoding + " image has a colour type Java cannot read", null);
    }
    return new ImageShape(height, width, channels(type.getColorModel()));
  }

  private static InvalidImageException shapeMismatch(
      String imageId, ImageEncoding encoding, ImageShape actual, ImageShape declared) {
    return new InvalidImageException(
        Kind.ENCODED_SHAPE_MISMATCH,
        imageId,
        encoding + " header says " + actual + " but the record says " + declared);
  }

  /** Our own exceptions pass; any other failure of one image's bytes is that image's fault. */
  private static InvalidImageException asInvalid(Exception e, String imageId, String context) {
    if (e instanceof InvalidImageException invalid) {
      return invalid;
    }
    return undecodable(
        imageId, context + ": " + e.getClass().getSimpleName() + " " + e.getMessage(), e);
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
