package io.streamtrain.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.schema.ImageEncoding;
import io.streamtrain.schema.LabeledImage;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Each transform against values computed by hand, the draws' determinism, the start-up check. */
class ImageTransformsTest {

  private static byte[] bytes(int... values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      b[i] = (byte) values[i];
    }
    return b;
  }

  private static int[] ints(byte[] b) {
    int[] v = new int[b.length];
    for (int i = 0; i < b.length; i++) {
      v[i] = b[i] & 0xff;
    }
    return v;
  }

  @Test
  void shouldResizeA2x2ImageTo4x4Bilinearly() {
    // Source weights per output position (align_corners=false): 1, 3/4 1/4, 1/4 3/4, 1.
    byte[] out =
        ImageTransforms.parse("resize:4x4")
            .apply(bytes(0, 100, 200, 40), new ImageShape(2, 2, 1), null);

    assertArrayEquals(
        new int[] {
          0, 25, 75, 100, //
          50, 59, 76, 85, // 58.75 -> 59, 76.25 -> 76
          150, 126, 79, 55, // 126.25 -> 126, 78.75 -> 79
          200, 160, 80, 40
        },
        ints(out));
  }

  @Test
  void shouldRoundResizedHalvesToEven() {
    // 1x2 [0, 2] to 1x4: 0, 0.5, 1.5, 2 -> 0, 0, 2, 2 (torch.round is half-to-even).
    byte[] out =
        ImageTransforms.parse("resize:1x4").apply(bytes(0, 2), new ImageShape(1, 2, 1), null);

    assertArrayEquals(new int[] {0, 0, 2, 2}, ints(out));
  }

  @Test
  void shouldResizeEachChannelOfAnRgbImage() {
    byte[] out =
        ImageTransforms.parse("resize:1x4")
            .apply(bytes(0, 10, 100, 100, 30, 200), new ImageShape(1, 2, 3), null);

    assertArrayEquals(new int[] {0, 10, 100, 25, 15, 125, 75, 25, 175, 100, 30, 200}, ints(out));
  }

  @Test
  void shouldConvertToGrayAsPillowDoes() {
    // (R*19595 + G*38470 + B*7471 + 0x8000) >> 16; 100/150/200: 140.75 by ITU-R 601-2 -> 141.
    byte[] out =
        ImageTransforms.parse("gray")
            .apply(
                bytes(255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 100, 150, 200),
                new ImageShape(1, 5, 3),
                null);

    assertArrayEquals(new int[] {76, 150, 29, 255, 141}, ints(out));
  }

  @Test
  void shouldReplicateGrayIntoRgb() {
    byte[] out = ImageTransforms.parse("rgb").apply(bytes(7, 200), new ImageShape(1, 2, 1), null);

    assertArrayEquals(new int[] {7, 7, 7, 200, 200, 200}, ints(out));
  }

  @Test
  void shouldLeaveAnImageAlreadyInTheTargetShapeAsItIs() {
    byte[] pixels = bytes(1, 2, 3, 4);

    assertSame(
        pixels,
        ImageTransforms.parse("resize:2x2,gray").apply(pixels, new ImageShape(2, 2, 1), null));
  }

  @Test
  void shouldCropFromTheZeroPaddedImage() {
    byte[] image = bytes(1, 2, 3, 4, 5, 6, 7, 8, 9);

    assertArrayEquals(
        new int[] {0, 0, 0, 0, 1, 2, 0, 4, 5},
        ints(PixelKernels.crop(image, 3, 3, 1, 1, 0, 0)),
        "top 0, left 0 of the padded image: shifted down and right");
    assertArrayEquals(
        new int[] {4, 5, 6, 7, 8, 9, 0, 0, 0},
        ints(PixelKernels.crop(image, 3, 3, 1, 1, 2, 1)),
        "top 2, left 1: shifted up");
    assertArrayEquals(
        ints(image), ints(PixelKernels.crop(image, 3, 3, 1, 1, 1, 1)), "centre: unchanged");
  }

  @Test
  void shouldFlipLeftToRightKeepingEachPixelsChannels() {
    assertArrayEquals(
        new int[] {4, 5, 6, 1, 2, 3}, ints(PixelKernels.hflip(bytes(1, 2, 3, 4, 5, 6), 1, 2, 3)));
    assertArrayEquals(
        new int[] {3, 2, 1, 6, 5, 4}, ints(PixelKernels.hflip(bytes(1, 2, 3, 4, 5, 6), 2, 3, 1)));
  }

  @Test
  void shouldNormaliseEachChannelAfterToTensor() {
    ImageTransforms t = ImageTransforms.parse("normalize:0.5/0.25:0.25/0.5");
    float[] x = new float[4];

    // Two channels, one pixel each in HWC order: (255, 0) then (0, 255).
    t.toTensor(bytes(255, 0, 0, 255), 0, new ImageShape(1, 2, 2), x, 0);

    // CHW: channel 0 = 255, 0; channel 1 = 0, 255.
    assertArrayEquals(new float[] {2f, -2f, -0.5f, 1.5f}, x);
    float[] one = new float[1];
    ImageTransforms.parse("normalize:0.1307:0.3081")
        .toTensor(bytes(77), 0, new ImageShape(1, 1, 1), one, 0);
    assertEquals(
        Float.floatToIntBits((77 / 255f - 0.1307f) / 0.3081f),
        Float.floatToIntBits(one[0]),
        "float32 (x - mean) / std, as torchvision's Normalize");
  }

  @Test
  void shouldDrawTheSameAugmentationForTheSameSeedEpochAndOffset() {
    ImageTransforms t = ImageTransforms.parse("crop:4,hflip");
    ImageShape shape = new ImageShape(8, 8, 3);
    byte[] image = new byte[shape.size()];
    for (int i = 0; i < image.length; i++) {
      image[i] = (byte) (i * 37 + 11);
    }

    byte[] first = t.apply(image, shape, ImageTransforms.draws(42, 3, 0, 1234));
    byte[] again = t.apply(image, shape, ImageTransforms.draws(42, 3, 0, 1234));
    assertArrayEquals(first, again, "a replay rebuilds the same pixels");

    Set<String> seen = new HashSet<>();
    for (long offset = 0; offset < 20; offset++) {
      seen.add(Arrays.toString(t.apply(image, shape, ImageTransforms.draws(42, 3, 0, offset))));
    }
    assertTrue(seen.size() > 1, "other offsets draw other crops and flips");
    assertNotEquals(
        Arrays.toString(first),
        Arrays.toString(image),
        "this draw is not the identity (else the checks above prove little)");
    assertArrayEquals(image, t.apply(image, shape, null), "no draws: no augmentation");
  }

  @Test
  void shouldDrawDifferentlyInAnotherEpochOrRun() {
    ImageTransforms t = ImageTransforms.parse("crop:4,hflip");
    ImageShape shape = new ImageShape(8, 8, 1);
    byte[] image = new byte[shape.size()];
    for (int i = 0; i < image.length; i++) {
      image[i] = (byte) (i + 1);
    }
    Set<String> epochs = new HashSet<>();
    Set<String> seeds = new HashSet<>();
    for (int k = 0; k < 20; k++) {
      epochs.add(Arrays.toString(t.apply(image, shape, ImageTransforms.draws(42, k, 0, 5))));
      seeds.add(Arrays.toString(t.apply(image, shape, ImageTransforms.draws(k, 1, 0, 5))));
    }
    assertTrue(epochs.size() > 1);
    assertTrue(seeds.size() > 1);
  }

  @Test
  void shouldParseToACanonicalSpec() {
    ImageTransforms t =
        ImageTransforms.parse(
            " Resize:32x32, rgb ,crop:4,hflip,normalize:0.4914/0.4822/0.4465:0.2470/0.2435/0.2616");

    assertEquals(
        "resize:32x32,rgb,crop:4,hflip,normalize:0.4914/0.4822/0.4465:0.247/0.2435/0.2616",
        t.spec());
    assertEquals(t, ImageTransforms.parse(t.spec()));
    assertTrue(t.augments());
    assertFalse(ImageTransforms.parse("resize:2x2").augments());
    assertSame(ImageTransforms.NONE, ImageTransforms.parse(""));
    assertEquals(new ImageShape(32, 32, 3), t.outputShape(new ImageShape(20, 60, 1)));
  }

  @Test
  void shouldRefuseAMalformedSpecWithOneLineSayingWhy() {
    assertTrue(refused("resize:32").contains("resize needs HxW"));
    assertTrue(refused("blur").contains("unknown step 'blur'"));
    assertTrue(refused("normalize:0.5:0.5,hflip").contains("normalize must be the last step"));
    assertTrue(refused("normalize:0.5/0.5:0.5").contains("2 means but 1 stds"));
    assertTrue(refused("normalize:0.5:0").contains("stds must be positive"));
    assertTrue(refused("crop:-1").contains("crop padding must be a positive integer"));
    assertFalse(refused("gray:2").contains("\n"));
  }

  private static String refused(String spec) {
    return assertThrows(IllegalArgumentException.class, () -> ImageTransforms.parse(spec))
        .getMessage();
  }

  @Test
  void shouldRefuseAtStartUpTransformsTheModelCannotTake() {
    String mlp =
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    ImageTransforms.parse("resize:32x32,rgb")
                        .checkFits(new ImageShape(28, 28, 1), "mlp:784-512-512-10"))
            .getMessage();
    assertEquals(
        "--transforms resize:32x32,rgb produce 32x32x3 images (HxWxC) but --architecture"
            + " mlp:784-512-512-10 takes 28x28x1: end the transforms at the model's input or"
            + " choose an architecture for 32x32x3",
        mlp);

    String cnn =
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    ImageTransforms.parse("rgb")
                        .checkFits(new ImageShape(28, 28, 1), "cnn:1x28x28-c32-c64-f128-10"))
            .getMessage();
    assertTrue(cnn.contains("produce HxWx3 images") && cnn.contains("takes 28x28x1"), cnn);

    String normalize =
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    ImageTransforms.parse("normalize:0.5/0.5/0.5:0.2/0.2/0.2")
                        .checkFits(new ImageShape(28, 28, 1), "cnn:1x28x28-c8-10"))
            .getMessage();
    assertTrue(normalize.contains("normalise 3 channels"), normalize);

    ImageTransforms.parse("resize:32x32,normalize:0.5/0.5/0.5:0.2/0.2/0.2")
        .checkFits(new ImageShape(32, 32, 3), "cnn:3x32x32-c8-c16-3");
    ImageTransforms.NONE.checkFits(new ImageShape(28, 28, 1), "mlp:784-512-512-10");
  }

  @Test
  void shouldDecodeBoundedThenTransformARecordOfAnySize() {
    ImageShape model = new ImageShape(4, 4, 1);
    LabeledImage png =
        LabeledImage.newBuilder()
            .setId("p")
            .setHeight(6)
            .setWidth(9)
            .setChannels(3)
            .setEncoding(ImageEncoding.PNG)
            .setData(ByteBuffer.wrap(TestImages.encode(TestImages.rgb(6, 9), "png")))
            .setLabel(1)
            .build();
    ImageTransforms t = ImageTransforms.parse("resize:4x4,gray");

    byte[] pixels =
        ImageTensors.transformedPixels(png, t, new ImageAcceptance(model, 2, true, 1_000), null);
    assertEquals(16, pixels.length);

    InvalidImageException tooLarge =
        assertThrows(
            InvalidImageException.class,
            () ->
                ImageTensors.transformedPixels(
                    png, t, new ImageAcceptance(model, 2, true, 53), null));
    assertEquals(InvalidImageException.Kind.IMAGE_TOO_LARGE, tooLarge.kind());

    InvalidImageException notAccepted =
        assertThrows(
            InvalidImageException.class,
            () ->
                ImageTensors.transformedPixels(
                    png,
                    ImageTransforms.parse("gray"),
                    new ImageAcceptance(model, 2, true, 1_000),
                    null));
    assertEquals(InvalidImageException.Kind.SHAPE_NOT_ACCEPTED, notAccepted.kind());
    assertTrue(notAccepted.getMessage().contains("becomes 6x9x1"), notAccepted.getMessage());
  }
}
