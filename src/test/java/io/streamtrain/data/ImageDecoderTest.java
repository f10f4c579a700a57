package io.streamtrain.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.data.InvalidImageException.Kind;
import io.streamtrain.schema.ImageEncoding;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
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
    byte[] bomb = png(40_000, 40_000, 0, deflatedZeros(4 << 20));
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
    byte[] bomb = withJpegSize(TestImages.encode(TestImages.rgb(28, 28), "jpeg"), 40_000, 40_000);

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
    byte[] png = png(28, 28, 0, deflate(new byte[8 * 29]));
    assertEquals(Kind.UNDECODABLE_IMAGE, refused(() -> ImageDecoder.decode(png, "short")).kind());
    byte[] jpeg = withJpegSize(TestImages.encode(TestImages.gray(8, 8), "jpeg"), 28, 28);
    assertEquals(
        Kind.UNDECODABLE_IMAGE, refused(() -> ImageDecoder.decode(jpeg, "short")).kind());
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
        refused(() -> ImageDecoder.decode(png(0, 28, 0, deflate(new byte[29])), "zero")).kind());
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
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    text.writeBytes("Comment".getBytes(StandardCharsets.ISO_8859_1));
    text.write(0);
    text.write(0);
    text.writeBytes(deflatedZeros(256 << 20));
    byte[] bomb = insertAfterHeader(valid, chunk("zTXt", text.toByteArray()));

    long before = allocatedBytes();
    ImageDecoder.Decoded decoded = ImageDecoder.decode(bomb, "text-bomb");
    long allocated = allocatedBytes() - before;
    assertArrayEquals(ImageDecoder.decode(valid, "valid").hwc(), decoded.hwc());
    assertTrue(allocated < ALLOCATION_BOUND, allocated + " bytes allocated");
  }

  private static byte[] decodeAs(
      byte[] bytes, ImageEncoding encoding, ImageShape shape, long maxPixels) {
    return ImageDecoder.decodeExactly(bytes, "i", encoding, shape, maxPixels);
  }

  /** The failure of {@code decode}, which must also stay within the allocation bound. */
  private static InvalidImageException refused(Executable decode) {
    long before = allocatedBytes();
    InvalidImageException e = assertThrows(InvalidImageException.class, decode, "refused");
    long allocated = allocatedBytes() - before;
    assertTrue(allocated < ALLOCATION_BOUND, allocated + " bytes allocated: " + e.getMessage());
    return e;
  }

  private static long allocatedBytes() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
        .getCurrentThreadAllocatedBytes();
  }

  /** A PNG with the given IHDR (8-bit, colour type {@code colourType}) and one IDAT chunk. */
  static byte[] png(int width, int height, int colourType, byte[] idat) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a});
    ByteBuffer header = ByteBuffer.allocate(13).putInt(width).putInt(height);
    header.put((byte) 8).put((byte) colourType).put((byte) 0).put((byte) 0).put((byte) 0);
    out.writeBytes(chunk("IHDR", header.array()));
    out.writeBytes(chunk("IDAT", idat));
    out.writeBytes(chunk("IEND", new byte[0]));
    return out.toByteArray();
  }

  private static byte[] chunk(String type, byte[] data) {
    byte[] name = type.getBytes(StandardCharsets.US_ASCII);
    CRC32 crc = new CRC32();
    crc.update(name);
    crc.update(data);
    return ByteBuffer.allocate(12 + data.length)
        .putInt(data.length)
        .put(name)
        .put(data)
        .putInt((int) crc.getValue())
        .array();
  }

  /** {@code png} with {@code chunk} right after its IHDR chunk. */
  private static byte[] insertAfterHeader(byte[] png, byte[] chunk) {
    int at = 8 + 12 + 13;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(png, 0, at);
    out.writeBytes(chunk);
    out.write(png, at, png.length - at);
    return out.toByteArray();
  }

  private static byte[] deflate(byte[] data) {
    Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
    deflater.setInput(data);
    deflater.finish();
    return drain(deflater);
  }

  /** zlib data that inflates to {@code size} zero bytes, built without holding them. */
  static byte[] deflatedZeros(int size) {
    Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
    byte[] zeros = new byte[1 << 16];
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[1 << 16];
    for (int left = size; left > 0; left -= zeros.length) {
      deflater.setInput(zeros, 0, Math.min(left, zeros.length));
      while (!deflater.needsInput()) {
        out.write(buffer, 0, deflater.deflate(buffer));
      }
    }
    deflater.finish();
    out.writeBytes(drain(deflater));
    return out.toByteArray();
  }

  private static byte[] drain(Deflater deflater) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[1 << 16];
    while (!deflater.finished()) {
      out.write(buffer, 0, deflater.deflate(buffer));
    }
    deflater.end();
    return out.toByteArray();
  }

  /** {@code jpeg} with its frame header (SOF0..SOF2) declaring {@code height} x {@code width}. */
  static byte[] withJpegSize(byte[] jpeg, int height, int width) {
    byte[] out = jpeg.clone();
    int i = 2;
    while (i + 4 < out.length) {
      int marker = out[i + 1] & 0xff;
      int length = ((out[i + 2] & 0xff) << 8) | (out[i + 3] & 0xff);
      if (marker >= 0xc0 && marker <= 0xc2) {
        out[i + 5] = (byte) (height >>> 8);
        out[i + 6] = (byte) height;
        out[i + 7] = (byte) (width >>> 8);
        out[i + 8] = (byte) width;
        return out;
      }
      i += 2 + length;
    }
    throw new IllegalArgumentException("no frame header in the JPEG");
  }
}
