package io.streamtrain.data;

import io.streamtrain.data.InvalidImageException.Kind;
import io.streamtrain.schema.ImageEncoding;
import io.streamtrain.schema.LabeledImage;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/**
 * Image to model input, exactly as torchvision's {@code ToTensor}: uint8 HWC becomes float32 CHW
 * with each value {@code v / 255f}, and validation of image records against a model's input shape
 * and class count. ToTensor runs on the CPU, where PyTorch's {@code div_true_kernel} divides
 * float32 by the scalar (no reciprocal multiply), so the values are bit-identical.
 *
 * <p>An image whose shape is not the model's input is an error ({@link Kind#SHAPE_NOT_ACCEPTED}):
 * nothing is resized or converted between RGB and grayscale unless {@link ImageTransforms} say so
 * ({@link #transformedPixels}).
 */
public final class ImageTensors {
  // v / 255f for every uint8 v: the same float32 values, without a division per pixel.
  private static final float[] SCALED = new float[256];

  static {
    for (int v = 0; v < 256; v++) {
      SCALED[v] = v / 255f;
    }
  }

  private ImageTensors() {}

  /** ToTensor of uint8 HWC pixels into {@code dst[dstOffset ..]} as CHW floats in [0,1]. */
  public static void toTensor(
      byte[] hwc, int srcOffset, int height, int width, int channels, float[] dst, int dstOffset) {
    int pixels = height * width;
    if (channels == 1) {
      for (int i = 0; i < pixels; i++) {
        dst[dstOffset + i] = SCALED[hwc[srcOffset + i] & 0xff];
      }
      return;
    }
    for (int c = 0; c < channels; c++) {
      int plane = dstOffset + c * pixels;
      for (int p = 0, s = srcOffset + c; p < pixels; p++, s += channels) {
        dst[plane + p] = SCALED[hwc[s] & 0xff];
      }
    }
  }

  /** ToTensor of uint8 HWC pixels into a new CHW float array. */
  public static float[] toTensor(byte[] hwc, int height, int width, int channels) {
    float[] out = new float[height * width * channels];
    toTensor(hwc, 0, height, width, channels, out, 0);
    return out;
  }

  /** ToTensor of a record into a new CHW float array (checks the record is self-consistent). */
  public static float[] toTensor(LabeledImage image) {
    ImageShape shape = declaredShape(image);
    // The pixels are checked (RAW length, PNG/JPEG header) before the floats are allocated.
    if (image.getEncoding() == ImageEncoding.RAW) {
      rawData(image, shape);
      float[] out = new float[shape.size()];
      toTensor(image, out, 0);
      return out;
    }
    byte[] hwc = decodeChecked(image, shape, ImageDecoder.DEFAULT_MAX_PIXELS);
    return toTensor(hwc, shape.height(), shape.width(), shape.channels());
  }

  /**
   * ToTensor of a record into {@code dst[offset ..]} (height x width x channels floats). Checks the
   * record is self-consistent (dimensions, RAW length, decodable PNG/JPEG of the declared shape),
   * not that a model accepts it: see {@link #validate}.
   */
  public static void toTensor(LabeledImage image, float[] dst, int offset) {
    toTensor(image, ImageDecoder.DEFAULT_MAX_PIXELS, dst, offset);
  }

  private static void toTensor(LabeledImage image, long maxPixels, float[] dst, int offset) {
    ImageShape shape = declaredShape(image);
    ByteBuffer hwc = hwc(image, shape, maxPixels);
    toTensor(
        hwc.array(),
        hwc.arrayOffset() + hwc.position(),
        shape.height(),
        shape.width(),
        shape.channels(),
        dst,
        offset);
  }

  /** The record's uint8 HWC pixels: a RAW record's own buffer, or the decoded PNG/JPEG. */
  private static ByteBuffer hwc(LabeledImage image, ImageShape shape, long maxPixels) {
    return image.getEncoding() == ImageEncoding.RAW
        ? rawData(image, shape)
        : ByteBuffer.wrap(decodeChecked(image, shape, maxPixels));
  }

  /** The record's pixels as uint8 HWC (a copy for RAW, decoded for PNG/JPEG). */
  public static byte[] pixels(LabeledImage image) {
    byte[] pixels = new byte[declaredShape(image).size()];
    copyPixels(image, pixels, 0);
    return pixels;
  }

  /**
   * Copies the image's uint8 HWC pixels into {@code dst} from {@code offset}: {@link #pixels}
   * without a copy of its own for RAW images, which are most of a training feed.
   */
  public static void copyPixels(LabeledImage image, byte[] dst, int offset) {
    copyPixels(image, ImageDecoder.DEFAULT_MAX_PIXELS, dst, offset);
  }

  private static void copyPixels(LabeledImage image, long maxPixels, byte[] dst, int offset) {
    ImageShape shape = declaredShape(image);
    ByteBuffer hwc = hwc(image, shape, maxPixels);
    System.arraycopy(hwc.array(), hwc.arrayOffset() + hwc.position(), dst, offset, shape.size());
  }

  /**
   * Checks that a record can be used by a model with input {@code expected} and {@code numClasses}
   * classes: valid dimensions, RAW length, shape accepted, label present (when {@code
   * labelRequired}) and in range, PNG/JPEG decodable to the declared shape. PNG/JPEG are decoded;
   * use {@link #toValidatedTensor} or {@link #copyValidatedPixels} to validate and convert with one
   * decode.
   */
  public static void validate(
      LabeledImage image, ImageShape expected, int numClasses, boolean labelRequired) {
    checkAccepted(image, expected, numClasses, labelRequired);
    if (image.getEncoding() != ImageEncoding.RAW) {
      decodeChecked(image, expected, ImageDecoder.DEFAULT_MAX_PIXELS);
    }
  }

  /**
   * {@link #validate} then {@link #toTensor(LabeledImage, float[], int)}, decoding once and
   * refusing PNG/JPEG headers that declare more than {@code maxPixels} ({@link
   * Kind#IMAGE_TOO_LARGE}).
   */
  public static void toValidatedTensor(
      LabeledImage image, ImageAcceptance accept, float[] dst, int offset) {
    checkAccepted(image, accept.expected(), accept.numClasses(), accept.labelRequired());
    toTensor(image, accept.maxPixels(), dst, offset);
  }

  /**
   * {@link #validate} then {@link #copyPixels}, decoding once and refusing PNG/JPEG headers that
   * declare more than {@code maxPixels} ({@link Kind#IMAGE_TOO_LARGE}).
   */
  public static void copyValidatedPixels(
      LabeledImage image, ImageAcceptance accept, byte[] dst, int offset) {
    checkAccepted(image, accept.expected(), accept.numClasses(), accept.labelRequired());
    copyPixels(image, accept.maxPixels(), dst, offset);
  }

  /**
   * The record's pixels after {@code transforms}, checked as {@link #copyValidatedPixels} checks
   * them, except that the shape to accept is the transforms' output: the record is decoded at its
   * declared (bounded) shape, transformed, and refused ({@link Kind#SHAPE_NOT_ACCEPTED}) unless it
   * then is {@code expected}.
   *
   * @param draws the augmentation draws of this record, or null for none
   */
  public static byte[] transformedPixels(
      LabeledImage image,
      ImageTransforms transforms,
      ImageAcceptance accept,
      SplittableRandom draws) {
    ImageShape expected = accept.expected();
    ImageShape shape = declaredShape(image);
    checkLabel(image, accept.numClasses(), accept.labelRequired());
    ImageShape produced = transforms.outputShape(shape);
    if (!produced.equals(expected)) {
      throw new InvalidImageException(
          Kind.SHAPE_NOT_ACCEPTED,
          image.getId(),
          "image "
              + shape
              + " becomes "
              + produced
              + " after --transforms "
              + transforms
              + ", not the model's input "
              + expected);
    }
    byte[] hwc =
        image.getEncoding() == ImageEncoding.RAW
            ? pixels(image)
            : decodeChecked(image, shape, accept.maxPixels());
    return transforms.apply(hwc, shape, draws);
  }

  /**
   * {@link #transformedPixels} without augmentation, then ToTensor and normalisation into {@code
   * dst[offset ..]}: what prediction and evaluation apply to a record.
   */
  public static void toTransformedTensor(
      LabeledImage image,
      ImageTransforms transforms,
      ImageAcceptance accept,
      float[] dst,
      int offset) {
    byte[] hwc = transformedPixels(image, transforms, accept, null);
    transforms.toTensor(hwc, 0, accept.expected(), dst, offset);
  }

  /** Throws {@link Kind#NON_FINITE_PIXELS} if a value in the range is NaN or infinite. */
  public static void checkFinite(String imageId, float[] values, int offset, int length) {
    for (int i = offset; i < offset + length; i++) {
      if (!Float.isFinite(values[i])) {
        throw new InvalidImageException(
            Kind.NON_FINITE_PIXELS,
            imageId,
            "pixel " + (i - offset) + " is " + values[i] + "; inputs must be finite");
      }
    }
  }

  private static void checkAccepted(
      LabeledImage image, ImageShape expected, int numClasses, boolean labelRequired) {
    ImageShape shape = declaredShape(image);
    if (image.getEncoding() == ImageEncoding.RAW) {
      rawData(image, shape);
    }
    if (!shape.equals(expected)) {
      throw new InvalidImageException(
          Kind.SHAPE_NOT_ACCEPTED,
          image.getId(),
          "image " + shape + " does not fit the model's input " + expected);
    }
    checkLabel(image, numClasses, labelRequired);
  }

  private static void checkLabel(LabeledImage image, int numClasses, boolean labelRequired) {
    Integer label = image.getLabel();
    if (label == null) {
      if (labelRequired) {
        throw new InvalidImageException(
            Kind.LABEL_MISSING, image.getId(), "label missing on an image used for training");
      }
    } else if (label < 0 || label >= numClasses) {
      throw new InvalidImageException(
          Kind.LABEL_OUT_OF_RANGE,
          image.getId(),
          "label " + label + " outside 0.." + (numClasses - 1));
    }
  }

  private static ImageShape declaredShape(LabeledImage image) {
    int h = image.getHeight();
    int w = image.getWidth();
    int c = image.getChannels();
    if (h <= 0 || w <= 0 || (c != 1 && c != 3) || (long) h * w * c > Integer.MAX_VALUE) {
      throw new InvalidImageException(
          Kind.INVALID_DIMENSIONS,
          image.getId(),
          "invalid dimensions height "
              + h
              + " x width "
              + w
              + " x channels "
              + c
              + "; height and width must be positive and channels 1 or 3");
    }
    if (image.getEncoding() == null || image.getData() == null) {
      throw new InvalidImageException(
          Kind.DATA_LENGTH_MISMATCH, image.getId(), "image has no data or no encoding");
    }
    return new ImageShape(h, w, c);
  }

  /** The RAW data buffer, checked to hold exactly the declared shape. */
  private static ByteBuffer rawData(LabeledImage image, ImageShape shape) {
    ByteBuffer data = image.getData();
    if (data.remaining() != shape.size()) {
      throw new InvalidImageException(
          Kind.DATA_LENGTH_MISMATCH,
          image.getId(),
          "data length "
              + data.remaining()
              + " != height "
              + shape.height()
              + " x width "
              + shape.width()
              + " x channels "
              + shape.channels());
    }
    if (!data.hasArray()) {
      byte[] copy = new byte[data.remaining()];
      data.duplicate().get(copy);
      return ByteBuffer.wrap(copy);
    }
    return data;
  }

  /** Decodes a PNG/JPEG record, its header checked against the record before any pixel. */
  private static byte[] decodeChecked(LabeledImage image, ImageShape declared, long maxPixels) {
    ByteBuffer data = image.getData();
    byte[] bytes = new byte[data.remaining()];
    data.duplicate().get(bytes);
    return ImageDecoder.decodeExactly(
        bytes, image.getId(), image.getEncoding(), declared, maxPixels);
  }
}
