package io.streamtrain.records;

import io.streamtrain.data.ImageShape;
import io.streamtrain.data.ImageTensors;

/** Turns a feed record's value into the compact example the batcher stores: label then pixels. */
public interface ExampleDecoder {

  /** The image shape the model takes (28x28x1 for Fashion-MNIST). */
  ImageShape inputShape();

  /**
   * @return the example as {@code [label, pixel_0 .. pixel_{n-1}]}, pixels uint8 HWC
   * @throws InvalidRecordException when the record cannot be trained on, with the reason
   */
  Example decode(byte[] value) throws InvalidRecordException;

  /**
   * {@link #decode(byte[])} of the record at {@code offset} of feed {@code partition}, in {@code
   * epoch} (-1 for a live record): where the training augmentation draws come from, so that the
   * same record always gives the same example.
   */
  default Example decode(byte[] value, int epoch, int partition, long offset)
      throws InvalidRecordException {
    return decode(value);
  }

  /** What {@link #decodeInto} returns for a record that carries no epoch. */
  int NO_EPOCH = Integer.MIN_VALUE;

  /**
   * {@link #decode(byte[], int, int, long)} written into {@code dst[at .. at + 1 +
   * inputShape().size())} instead of a new array, for a caller that keeps the example elsewhere
   * (the batcher copies it into its window's chunk): no allocation per record where the decoder
   * allows. On failure {@code dst} may be partly written.
   *
   * @return the epoch the record's Avro value carries, or {@link #NO_EPOCH}
   */
  default int decodeInto(byte[] value, int epoch, int partition, long offset, byte[] dst, int at)
      throws InvalidRecordException {
    Example example = decode(value, epoch, partition, offset);
    System.arraycopy(example.bytes(), 0, dst, at, example.bytes().length);
    return example.epochOr(NO_EPOCH);
  }

  /**
   * The model's input for a stored example's pixels ({@code example[from ..]}) into {@code
   * dst[at ..]}: ToTensor, then whatever normalisation the decoder's transforms end with.
   */
  default void toTensor(byte[] example, int from, float[] dst, int at) {
    ImageShape shape = inputShape();
    ImageTensors.toTensor(
        example, from, shape.height(), shape.width(), shape.channels(), dst, at);
  }

  /** A decoded example and the epoch its Avro record carries, if any. */
  record Example(byte[] bytes, Integer epoch) {
    public int epochOr(int fallback) {
      return epoch == null ? fallback : epoch;
    }
  }
}
