package io.streamtrain.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Hostile image files built byte by byte for tests: headers declaring far more pixels than the file
 * holds (decompression and declared-size bombs), metadata bombs, headers lying about shapes.
 */
public final class HostileImages {
  private HostileImages() {}

  /** A PNG with the given IHDR (8-bit, colour type {@code colourType}) and one IDAT chunk. */
  public static byte[] png(int width, int height, int colourType, byte[] idat) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a});
    ByteBuffer header = ByteBuffer.allocate(13).putInt(width).putInt(height);
    header.put((byte) 8).put((byte) colourType).put((byte) 0).put((byte) 0).put((byte) 0);
    out.writeBytes(chunk("IHDR", header.array()));
    out.writeBytes(chunk("IDAT", idat));
    out.writeBytes(chunk("IEND", new byte[0]));
    return out.toByteArray();
  }

  public static byte[] chunk(String type, byte[] data) {
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
  public static byte[] insertAfterHeader(byte[] png, byte[] chunk) {
    int at = 8 + 12 + 13;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(png, 0, at);
    out.writeBytes(chunk);
    out.write(png, at, png.length - at);
    return out.toByteArray();
  }

  public static byte[] deflate(byte[] data) {
    Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
    deflater.setInput(data);
    deflater.finish();
    return drain(deflater);
  }

  /** zlib data that inflates to {@code size} zero bytes, built without holding them. */
  public static byte[] deflatedZeros(int size) {
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
  public static byte[] withJpegSize(byte[] jpeg, int height, int width) {
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

  /** {@code image} as PNG or JPEG bytes, as ImageIO writes them. */
  public static byte[] encode(BufferedImage image, String format) {
    return TestImages.encode(image, format);
  }

  /** A PNG with a zTXt chunk that inflates to {@code size} zero bytes before its image data. */
  public static byte[] withCompressedText(byte[] png, int size) {
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    text.writeBytes("Comment".getBytes(StandardCharsets.ISO_8859_1));
    text.write(0);
    text.write(0);
    text.writeBytes(deflatedZeros(size));
    return insertAfterHeader(png, chunk("zTXt", text.toByteArray()));
  }
}
