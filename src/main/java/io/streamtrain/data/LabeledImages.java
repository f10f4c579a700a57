package io.streamtrain.data;

import io.streamtrain.schema.ImageEncoding;
import io.streamtrain.schema.LabeledImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Builds {@link LabeledImage} records from IDX datasets, PNG/JPEG bytes and single files. */
public final class LabeledImages {
  private LabeledImages() {}

  /**
   * Image {@code index} of an IDX dataset as a RAW record: h x w x 1 uint8, id {@code
   * <name>-00123}, source {@code <images file>#123}.
   */
  public static LabeledImage fromDataset(LabeledDataset dataset, int index) {
    int size = dataset.imageSize();
    byte[] pixels = new byte[size];
    System.arraycopy(dataset.pixels(), dataset.imageOffset(index), pixels, 0, size);
    int label = dataset.label(index);
    return LabeledImage.newBuilder()
        .setId(datasetImageId(dataset.name(), index))
        .setHeight(dataset.rows())
        .setWidth(dataset.cols())
        .setChannels(1)
        .setEncoding(ImageEncoding.RAW)
        .setData(ByteBuffer.wrap(pixels))
        .setLabel(label)
        .setClassName(dataset.classNames().get(label))
        .setSource(dataset.sourceFile() + "#" + index)
        .build();
  }

  /** {@code fashion-mnist-train-00123}: the name, a dash, the index zero-padded to 5 digits. */
  public static String datasetImageId(String datasetName, int index) {
    String digits = Integer.toString(index);
    StringBuilder id = new StringBuilder(datasetName.length() + 7).append(datasetName).append('-');
    for (int pad = digits.length(); pad < 5; pad++) {
      id.append('0');
    }
    return id.append(digits).toString();
  }

  /**
   * A PNG or JPEG record keeping the original bytes, with height/width/channels from the header.
   *
   * @throws InvalidImageException UNDECODABLE_IMAGE when the bytes are not a readable PNG/JPEG
   */
  public static LabeledImage fromEncoded(
      byte[] bytes, String id, Integer label, String className, String source) {
    ImageDecoder.Header header = ImageDecoder.readHeader(bytes, id);
    return LabeledImage.newBuilder()
        .setId(id)
        .setHeight(header.shape().height())
        .setWidth(header.shape().width())
        .setChannels(header.shape().channels())
        .setEncoding(header.encoding())
        .setData(ByteBuffer.wrap(bytes))
        .setLabel(label)
        .setClassName(className)
        .setSource(source)
        .build();
  }

  /**
   * One unlabeled PNG/JPEG file (for {@code predict --image FILE}); id and source are the path.
   *
   * @throws DatasetException when the file cannot be read
   * @throws InvalidImageException when it is not a readable PNG/JPEG
   */
  public static LabeledImage fromFile(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new DatasetException(file + ": no such file; pass a PNG or JPEG image", e);
    } catch (IOException e) {
      throw new DatasetException("cannot read " + file + ": " + e, e);
    }
    try {
      return fromEncoded(bytes, file.toString(), null, null, file.toString());
    } catch (InvalidImageException e) {
      throw new InvalidImageException(
          e.kind(), e.imageId(), file + ": " + e.getMessage() + "; pass a PNG or JPEG image", e);
    }
  }
}
