package io.streamtrain.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.streamtrain.data.InvalidImageException.Kind;
import io.streamtrain.schema.ImageEncoding;
import io.streamtrain.schema.LabeledImage;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class ImageTensorsTest {
  private static final ImageShape MNIST = new ImageShape(28, 28, 1);

  private static LabeledImage raw(int h, int w, int c, byte[] data, Integer label) {
    return LabeledImage.newBuilder()
        .setId("img-1")
        .setHeight(h)
        .setWidth(w)
        .setChannels(c)
        .setEncoding(ImageEncoding.RAW)
        .setData(ByteBuffer.wrap(data))
        .setLabel(label)
        .build();
  }

  private static LabeledImage encoded(ImageEncoding encoding, byte[] data, int h, int w, int c) {
    return LabeledImage.newBuilder(raw(h, w, c, new byte[0], 1))
        .setEncoding(encoding)
        .setData(ByteBuffer.wrap(data))
        .build();
  }

  @Test
  void shouldScaleLikeToTensorDividingBy255InFloat32() {
    byte[] pixels = {0, 1, 2, 127, (byte) 128, (byte) 254, (byte) 255};

    float[] tensor = ImageTensors.toTensor(pixels, 1, 7, 1);

    // torch.tensor([0,1,2,127,128,254,255], dtype=torch.uint8).float().div(255):
    // exact float32 quotients; 1/255 is 0.003921568859368562698... as float32.
    assertArrayEquals(
        new float[] {0f, 1f / 255f, 2f / 255f, 127f / 255f, 128f / 255f, 254f / 255f, 1f}, tensor);
    assertEquals(0x3B808081, Float.floatToIntBits(tensor[1]));
    assertEquals(1.0f, tensor[6]);
    for (int v = 0; v < 256; v++) {
      float expected = (float) v / 255f;
      assertEquals(
          Float.floatToIntBits(expected),
          Float.floatToIntBits(ImageTensors.toTensor(new byte[] {(byte) v}, 1, 1, 1)[0]),
          "value " + v);
    }
  }

  @Test
  void shouldPermuteRgbHwcToChw() {
    // 2x2 RGB in HWC: pixel p has (r, g, b) = (p, 10 + p, 20 + p).
    byte[] hwc = {0, 10, 20, 1, 11, 21, 2, 12, 22, 3, 13, 23};

    float[] chw = ImageTensors.toTensor(raw(2, 2, 3, hwc, 0));

    float[] expected = new float[12];
    int[] planes = {0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23};
    for (int i = 0; i < 12; i++) {
      expected[i] = planes[i] / 255f;
    }
    assertArrayEquals(expected, chw);
  }

  @Test
  void shouldWriteIntoACallersBatchBufferAtAnOffset() {
    byte[] source = new byte[10];
    Arrays.fill(source, (byte) 255);
    float[] batch = new float[20];
    Arrays.fill(batch, -1f);

    ImageTensors.toTensor(source, 3, 2, 2, 1, batch, 5);

    assertEquals(-1f, batch[4]);
    assertEquals(1f, batch[5]);
    assertEquals(1f, batch[8]);
    assertEquals(-1f, batch[9]);
  }

  @Test
  void shouldDecodePngAndJpegToTheSameTensorAsRawPixels() {
    byte[] png = TestImages.encode(TestImages.rgb(4, 5), "png");
    float[] fromPng = ImageTensors.toTensor(encoded(ImageEncoding.PNG, png, 4, 5, 3));
    assertEquals(TestImages.rgbValue(3, 2, 1) / 255f, fromPng[20 + 3 * 5 + 2]);
    assertEquals(TestImages.rgbValue(1, 4, 2) / 255f, fromPng[40 + 5 + 4]);

    byte[] grayPng = TestImages.encode(TestImages.gray(3, 4), "png");
    byte[] pixels = ImageTensors.pixels(encoded(ImageEncoding.PNG, grayPng, 3, 4, 1));
    for (int i = 0; i < 12; i++) {
      assertEquals(TestImages.grayValue(i / 4, i % 4, 4), Byte.toUnsignedInt(pixels[i]));
    }

    byte[] jpeg = TestImages.encode(TestImages.gray(8, 8), "jpeg");
    float[] fromJpeg = ImageTensors.toTensor(encoded(ImageEncoding.JPEG, jpeg, 8, 8, 1));
    assertEquals(64, fromJpeg.length);
  }

  @Test
  void shouldAcceptAValidTrainingImage() {
    float[] batch = new float[784];

    ImageTensors.toValidatedTensor(
        raw(28, 28, 1, new byte[784], 9),
        new ImageAcceptance(MNIST, 10, true, ImageDecoder.DEFAULT_MAX_PIXELS),
        batch,
        0);

    assertEquals(0f, batch[783]);
  }

  @Test
  void shouldRejectDataLengthMismatch() {
    InvalidImageException e = refusedByMnist(raw(28, 28, 1, new byte[700], 1));

    assertEquals(Kind.DATA_LENGTH_MISMATCH, e.kind());
    assertEquals("data length 700 != height 28 x width 28 x channels 1", e.getMessage());
    assertEquals("img-1", e.imageId());
  }

  @Test
  void shouldRejectAShapeTheModelCannotTakeInsteadOfConvertingIt() {
    InvalidImageException e = refusedByMnist(raw(32, 32, 3, new byte[32 * 32 * 3], 1));

    assertEquals(Kind.SHAPE_NOT_ACCEPTED, e.kind());
    assertEquals("image 32x32x3 does not fit the model's input 28x28x1", e.getMessage());
  }

  @Test
  void shouldRejectRgbPngForAGrayscaleModel() {
    byte[] png = TestImages.encode(TestImages.rgb(28, 28), "png");

    InvalidImageException e = refusedByMnist(LabeledImages.fromEncoded(png, "p", 1, null, null));

    assertEquals(Kind.SHAPE_NOT_ACCEPTED, e.kind());
  }

  @Test
  void shouldRejectUndecodableImage() {
    byte[] png = TestImages.encode(TestImages.gray(28, 28), "png");
    byte[] corrupt = Arrays.copyOf(png, png.length / 2);

    InvalidImageException e = refusedByMnist(encoded(ImageEncoding.PNG, corrupt, 28, 28, 1));

    assertEquals(Kind.UNDECODABLE_IMAGE, e.kind());
  }

  @Test
  void shouldRejectBytesThatAreNotAnImageAtAll() {
    InvalidImageException e =
        refused(
            () -> ImageTensors.toTensor(encoded(ImageEncoding.JPEG, "text".getBytes(), 28, 28, 1)));

    assertEquals(Kind.UNDECODABLE_IMAGE, e.kind());
    assertEquals("data is neither PNG nor JPEG", e.getMessage());
  }

  @Test
  void shouldRejectEncodedImageWhoseShapeDiffersFromTheRecord() {
    byte[] png = TestImages.encode(TestImages.gray(20, 20), "png");

    InvalidImageException e = refusedByMnist(encoded(ImageEncoding.PNG, png, 28, 28, 1));

    assertEquals(Kind.ENCODED_SHAPE_MISMATCH, e.kind());
    assertEquals("PNG header says 20x20x1 but the record says 28x28x1", e.getMessage());
  }

  @Test
  void shouldRejectLabelOutOfRange() {
    InvalidImageException e = refusedByMnist(raw(28, 28, 1, new byte[784], 12));

    assertEquals(Kind.LABEL_OUT_OF_RANGE, e.kind());
    assertEquals("label 12 outside 0..9", e.getMessage());
  }

  @Test
  void shouldRejectMissingLabelOnlyWhereTrainingNeedsIt() {
    LabeledImage unlabeled = raw(28, 28, 1, new byte[784], null);

    ImageTensors.validate(unlabeled, MNIST, 10, false);
    InvalidImageException e = refusedByMnist(unlabeled);

    assertEquals(Kind.LABEL_MISSING, e.kind());
  }

  @Test
  void shouldRejectInvalidDimensions() {
    InvalidImageException e =
        refused(() -> ImageTensors.toTensor(raw(28, 28, 2, new byte[28 * 28 * 2], 1)));

    assertEquals(Kind.INVALID_DIMENSIONS, e.kind());
  }

  @Test
  void shouldRejectNonFinitePixels() {
    float[] values = {0f, 0.5f, Float.NaN, 1f};

    ImageTensors.checkFinite("x", values, 0, 2);
    InvalidImageException e = refused(() -> ImageTensors.checkFinite("x", values, 1, 3));

    assertEquals(Kind.NON_FINITE_PIXELS, e.kind());
    assertEquals("pixel 1 is NaN; inputs must be finite", e.getMessage());
  }

  /** The refusal of {@code image} by a Fashion-MNIST model (28x28x1, ten classes, labeled). */
  private static InvalidImageException refusedByMnist(LabeledImage image) {
    return refused(() -> ImageTensors.validate(image, MNIST, 10, true));
  }

  private static InvalidImageException refused(Executable conversion) {
    return assertThrows(InvalidImageException.class, conversion);
  }
}
