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
