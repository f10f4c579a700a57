package io.streamtrain.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files (the MNIST/Fashion-MNIST format), gzip-compressed or raw; gzip is recognised by
 * its magic bytes 1f 8b, not by the file name. Checks the magic numbers (2049 unsigned-byte labels,
 * 2051 unsigned-byte images), the dimensions, that the file holds exactly the announced count, and
 * that images and labels agree. Every failure is a {@link DatasetException} with one line naming
 * the file.
 */
public final class IdxReader {
  /** Magic number of a 1-dimensional unsigned-byte IDX file (labels). */
  public static final int LABELS_MAGIC = 0x00000801;

  /** Magic number of a 3-dimensional unsigned-byte IDX file (images). */
  public static final int IMAGES_MAGIC = 0x00000803;

  private static final int BUFFER_SIZE = 1 << 16;
  // Larger arrays cannot be allocated; real IDX datasets are far below this.
  private static final long MAX_BYTES = Integer.MAX_VALUE - 8;

  private IdxReader() {}

  /** Reads an IDX images file (magic 2051): count x rows x cols unsigned bytes. */
  public static IdxImages readImages(Path file) {
    try (InputStream in = open(file)) {
      int magic = readInt(readHeader(file, in, 0, 4, 16, "images"), 0);
      checkMagic(file, magic, IMAGES_MAGIC, "images");
      byte[] dims = readHeader(file, in, 4, 12, 16, "images");
      int count = readInt(dims, 0);
      int rows = readInt(dims, 4);
      int cols = readInt(dims, 8);
      if (count < 0 || rows <= 0 || cols <= 0) {
        throw new DatasetException(
            file
                + " has invalid dimensions "
                + count
                + " x "
                + rows
                + " x "
                + cols
                + "; the file is corrupt, fetch it again");
      }
      long payload = (long) count * rows * cols;
      if (payload > MAX_BYTES) {
        throw new DatasetException(
            file
                + " announces "
                + count
                + " images of "
                + rows
                + "x"
                + cols
                + ", more than one array can hold; the file is corrupt or not a dataset");
      }
      byte[] pixels = new byte[(int) payload];
      readPayload(file, in, pixels, 16, count + " images of " + rows + "x" + cols);
      return new IdxImages(count, rows, cols, pixels);
    } catch (IOException e) {
      throw wrap(file, e);
    }
  }

  /** Reads an IDX labels file (magic 2049): count unsigned bytes. */
  public static byte[] readLabels(Path file) {
    try (InputStream in = open(file)) {
      int magic = readInt(readHeader(file, in, 0, 4, 8, "labels"), 0);
      checkMagic(file, magic, LABELS_MAGIC, "labels");
      int count = readInt(readHeader(file, in, 4, 4, 8, "labels"), 0);
      if (count < 0) {
        throw new DatasetException(
            file
                + " announces a negative label count "
                + count
                + "; the file is corrupt, fetch it again");
      }
      byte[] labels = new byte[count];
      readPayload(file, in, labels, 8, count + " labels");
      return labels;
    } catch (IOException e) {
      throw wrap(file, e);
    }
  }

  /**
   * Reads an images file and its labels file into one dataset; the counts must agree and every
   * label must index {@code classNames}.
   *
   * @param name prefix of the dataset's image ids, e.g. {@code fashion-mnist-train}
   */
  public static LabeledDataset read(
      Path imagesFile, Path labelsFile, String name, List<String> classNames) {
    IdxImages images = readImages(imagesFile);
    byte[] labels = readLabels(labelsFile);
    if (images.count() != labels.length) {
      throw new DatasetException(
          "image and label counts differ: "
              + imagesFile
              + " has "
              + images.count()
              + " images but "
              + labelsFile
              + " has "
              + labels.length
              + " labels; use the two files of one split");
    }
    for (int i = 0; i < labels.length; i++) {
      int label = Byte.toUnsignedInt(labels[i]);
      if (label >= classNames.size()) {
        throw new DatasetException(
            labelsFile
                + ": label "
                + label
                + " of image "
                + i
                + " outside 0.."
                + (classNames.size() - 1)
                + "; the file does not belong to this dataset");
      }
    }
    return new LabeledDataset(
        name,
        imagesFile.getFileName().toString(),
        images.count(),
        images.rows(),
        images.cols(),
        images.pixels(),
        labels,
        classNames);
  }

  /** Opens a file, transparently decompressing it when it starts with the gzip magic 1f 8b. */
  static InputStream open(Path file) throws IOException {
    InputStream raw = new BufferedInputStream(Files.newInputStream(file), BUFFER_SIZE);
    try {
      raw.mark(2);
      int b0 = raw.read();
      int b1 = raw.read();
      raw.reset();
      if (b0 == 0x1f && b1 == 0x8b) {
        return new GZIPInputStream(raw, BUFFER_SIZE);
      }
      return raw;
    } catch (IOException | RuntimeException e) {
      raw.close();
      throw e;
    }
  }

  /**
   * Reads the {@code length} header bytes after the {@code alreadyRead} first ones; the magic
   * number is read on its own first so a short file of the wrong kind is reported as such.
   */
  private static byte[] readHeader(
      Path file, InputStream in, int alreadyRead, int length, int headerLength, String kind)
      throws IOException {
    byte[] header = new byte[length];
    int read = readUpTo(in, header, 0, length);
    if (read < length) {
      int found = alreadyRead + read;
      throw new DatasetException(
          file
              + " is truncated: expected an IDX "
              + kind
              + " header of "
              + headerLength
              + " bytes, found "
              + found
              + " bytes; fetch the file again");
    }
    return header;
  }

  private static void checkMagic(Path file, int magic, int expected, String kind) {
    if (magic == expected) {
      return;
    }
    String hint =
        magic == LABELS_MAGIC
            ? " (it is a labels file)"
            : magic == IMAGES_MAGIC ? " (it is an images file)" : "";
    throw new DatasetException(
        file
            + " is not an IDX "
            + kind
            + " file: magic number "
            + magic
            + hint
            + ", expected "
            + expected
            + "; check which file you passed");
  }

  /** Reads exactly {@code target.length} bytes and then checks nothing follows. */
  private static void readPayload(
      Path file, InputStream in, byte[] target, int headerBytes, String announced)
      throws IOException {
    int read = readUpTo(in, target, 0, target.length);
    if (read < target.length) {
      throw new DatasetException(
          file
              + " is truncated: header announces "
              + announced
              + ", expected "
              + (headerBytes + (long) target.length)
              + " bytes, found "
              + (headerBytes + (long) read)
              + "; fetch the file again");
    }
    long extra;
    try {
      extra = in.transferTo(OutputStream.nullOutputStream());
    } catch (EOFException e) {
      throw new DatasetException(
          file + " is truncated: its gzip stream ends before the gzip trailer; fetch it again", e);
    }
    if (extra > 0) {
      throw new DatasetException(
          file
              + " has "
              + extra
              + " bytes after the announced "
              + announced
              + ", expected "
              + (headerBytes + (long) target.length)
              + " bytes, found "
              + (headerBytes + target.length + extra)
              + "; the file is corrupt, fetch it again");
    }
  }

  /**
   * Reads until {@code length} bytes or the end of the data. A gzip stream that ends early counts
   * as the end of the data, so the caller can report how much was there.
   */
  private static int readUpTo(InputStream in, byte[] target, int offset, int length)
      throws IOException {
    int total = 0;
    try {
      while (total < length) {
        int n = in.read(target, offset + total, length - total);
        if (n < 0) {
          break;
        }
        total += n;
      }
    } catch (EOFException e) {
      // GZIPInputStream's "Unexpected end of ZLIB input stream": the compressed file is cut off.
    }
    return total;
  }

  private static int readInt(byte[] bytes, int offset) {
    return ((bytes[offset] & 0xff) << 24)
        | ((bytes[offset + 1] & 0xff) << 16)
        | ((bytes[offset + 2] & 0xff) << 8)
        | (bytes[offset + 3] & 0xff);
  }

  private static DatasetException wrap(Path file, IOException e) {
    if (e instanceof NoSuchFileException) {
      return new DatasetException(file + ": no such file", e);
    }
    if (e instanceof ZipException) {
      return new DatasetException(
          file + " is a corrupt gzip file (" + e.getMessage() + "); fetch it again", e);
    }
    return new DatasetException("cannot read " + file + ": " + e, e);
  }
}
