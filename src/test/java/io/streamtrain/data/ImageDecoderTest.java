package io.streamtrain.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.data.InvalidImageException.Kind;
import io.streamtrain.schema.ImageEncoding;
import io.streamtrain.testing.Allocations;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * What an encoded image declares never makes decoding allocate more than the bound: headers are
 * checked before any pixel, truncated and corrupt files are undecodable, other formats refused.
 * Allocation is measured on this thread (HotSpot's per-thread allocation counter), so a bomb that
 * got decoded would show as gigabytes.
 */
class ImageDecoderTest {
  private static final ImageShape SHAPE = new ImageShape(28, 28, 1);
  // Far below what any bomb here would take if decoded (1.6 GB for 40000 x 40000 grey).
  private static final long ALLOCATION_BOUND = 32L << 20;

  @BeforeAll
  static void warmUp() {
    // ImageIO's registry and readers are loaded once per JVM; not the test's allocation.
    ImageDecoder.decode(TestImages.encode(TestImages.gray(28, 28), "png"), "warm-up");
    ImageDecoder.decode(TestImages.encode(TestImages.rgb(28, 28), "jpeg"), "warm-up");
  }

  @Test
  void shouldRefuseAPngDeclaring40000SquarePixelsBeforeInflatingIt() {
    byte[] bomb = HostileImages.png(40_000, 40_000, 0, HostileImages.deflatedZeros(4 << 20));
    assertTrue(bomb.length < 64 * 1024, "a small file: " + bomb.length);

    InvalidImageException e = refused(() -> ImageDecoder.decode(bomb, "bomb"));
    assertEquals(Kind.IMAGE_TOO_LARGE, e.kind());
    assertEquals(
        "PNG header declares 40000x40000x1 (1600000000 pixels), more than the limit of 16777216"
            + " (max-image-pixels)",
        e.getMessage());
    assertEquals(
        Kind.IMAGE_TOO_LARGE,
        refused(() -> decodeAs(bomb, ImageEncoding.PNG, SHAPE, 1L << 24)).kind());
    // Under a larger limit, the record's own 28x28 still refuses it before any pixel.
    assertEquals(
        Kind.ENCODED_SHAPE_MISMATCH,
        refused(() -> decodeAs(bomb, ImageEncoding.PNG, SHAPE, Long.MAX_VALUE)).kind());
  }

  @Test
  void shouldRefuseAJpegWhoseFrameHeaderDeclares40000SquarePixels() {
    byte[] bomb =
        HostileImages.withJpegSize(
            TestImages.encode(TestImages.rgb(28, 28), "jpeg"), 40_000, 40_000);

    InvalidImageException e = refused(() -> ImageDecoder.decode(bomb, "bomb"));
    assertEquals(Kind.IMAGE_TOO_LARGE, e.kind());
    assertTrue(e.getMessage().startsWith("JPEG header declares 40000x40000x3"), e.getMessage());
    assertEquals(
        Kind.ENCODED_SHAPE_MISMATCH,
        refused(() -> decodeAs(bomb, ImageEncoding.JPEG, new ImageShape(28, 28, 3), 1L << 40))
            .kind());
  }

  @Test
  void shouldApplyAConfiguredLimit() {
    byte[] png = TestImages.encode(TestImages.gray(28, 28), "png");
    assertEquals(SHAPE, ImageDecoder.decode(png, "fits", 784).shape());
    InvalidImageException e = refused(() -> ImageDecoder.decode(png, "over", 783));
    assertEquals(Kind.IMAGE_TOO_LARGE, e.kind());
    assertEquals("over", e.imageId());
  }

  @Test
  void shouldRefuseHeadersThatLieAboutTheRecordsShape() {
    byte[] png20 = TestImages.encode(TestImages.gray(20, 20), "png");
    InvalidImageException e =
        refused(() -> decodeAs(png20, ImageEncoding.PNG, SHAPE, Long.MAX_VALUE));
    assertEquals(Kind.ENCODED_SHAPE_MISMATCH, e.kind());
    assertEquals("PNG header says 20x20x1 but the record says 28x28x1", e.getMessage());
    byte[] rgb = TestImages.encode(TestImages.rgb(28, 28), "png");
    assertEquals(
        Kind.ENCODED_SHAPE_MISMATCH,
        refused(() -> decodeAs(rgb, ImageEncoding.PNG, SHAPE, Long.MAX_VALUE)).kind());
    byte[] jpeg = TestImages.encode(TestImages.gray(28, 28), "jpeg");
    assertEquals(
        "data is JPEG but the record says PNG",
        refused(() -> decodeAs(jpeg, ImageEncoding.PNG, SHAPE, Long.MAX_VALUE)).getMessage());
  }

  @Test
  void shouldRefuseAHeaderThatClaimsMorePixelsThanTheDataHolds() {
    // 28x28 declared, the pixel data of 8 rows: the inflater runs dry.
    byte[] png = HostileImages.png(28, 28, 0, HostileImages.deflate(new byte[8 * 29]));
    assertEquals(Kind.UNDECODABLE_IMAGE, refused(() -> ImageDecoder.decode(png, "short")).kind());
    byte[] jpeg =
        HostileImages.withJpegSize(TestImages.encode(TestImages.gray(8, 8), "jpeg"), 28, 28);
    assertEquals(Kind.UNDECODABLE_IMAGE, refused(() -> ImageDecoder.decode(jpeg, "short")).kind());
  }

  @Test
  void shouldRefuseTruncatedFiles() {
    byte[] png = TestImages.encode(TestImages.gray(28, 28), "png");
    byte[] jpeg = TestImages.encode(TestImages.rgb(28, 28), "jpeg");
    for (byte[] whole : new byte[][] {png, jpeg}) {
      for (int length : new int[] {3, 12, 30, whole.length / 2, whole.length - 24}) {
        byte[] cut = Arrays.copyOf(whole, length);
        InvalidImageException e =
            refused(() -> ImageDecoder.decode(cut, "cut of " + length + "/" + whole.length));
        assertEquals(Kind.UNDECODABLE_IMAGE, e.kind(), e.getMessage());
      }
    }
    InvalidImageException e =
        refused(() -> ImageDecoder.decode(Arrays.copyOf(jpeg, jpeg.length - 24), "cut"));
    // libjpeg would fill the missing rows with grey and only warn.
    assertTrue(e.getMessage().startsWith("JPEG image is truncated or corrupt"), e.getMessage());
  }

  @Test
  void shouldRefuseZeroDimensionsAndOtherFormats() {
    assertEquals(
        Kind.UNDECODABLE_IMAGE,
        refused(
                () ->
                    ImageDecoder.decode(
                        HostileImages.png(0, 28, 0, HostileImages.deflate(new byte[29])), "zero"))
            .kind());
    byte[] gif = TestImages.encode(TestImages.gray(28, 28), "gif");
    byte[] bmp = TestImages.encode(TestImages.gray(28, 28), "bmp");
    for (byte[] other : new byte[][] {gif, bmp, new byte[0], "hello".getBytes()}) {
      InvalidImageException e = refused(() -> ImageDecoder.decode(other, "other"));
      assertEquals(Kind.UNDECODABLE_IMAGE, e.kind());
      assertEquals("data is neither PNG nor JPEG", e.getMessage());
    }
  }

  @Test
  void shouldNotInflateACompressedTextChunk() {
    byte[] valid = TestImages.encode(TestImages.gray(28, 28), "png");
    // A zTXt chunk of 256 MiB of zeros, compressed, before the image data.
    byte[] bomb = HostileImages.withCompressedText(valid, 256 << 20);

    long before = Allocations.allocatedBytes();
    ImageDecoder.Decoded decoded = ImageDecoder.decode(bomb, "text-bomb");
    long allocated = Allocations.allocatedBytes() - before;
    assertArrayEquals(ImageDecoder.decode(valid, "valid").hwc(), decoded.hwc());
    assertTrue(allocated < ALLOCATION_BOUND, allocated + " bytes allocated");
  }

  private static byte[] decodeAs(
      byte[] bytes, ImageEncoding encoding, ImageShape shape, long maxPixels) {
    return ImageDecoder.decodeExactly(bytes, "i", encoding, shape, maxPixels);
  }

  /** The failure of {@code decode}, which must also stay within the allocation bound. */
  private static InvalidImageException refused(Executable decode) {
    return Allocations.refusedWithin(ALLOCATION_BOUND, InvalidImageException.class, decode);
  }
}
