package io.streamtrain.records;

import io.streamtrain.data.ImageShape;

/** Turns a feed record's value into the compact example the batcher stores: label then pixels. */
public interface ExampleDecoder {

  /** The image shape the model takes (28x28x1 for Fashion-MNIST). */
  ImageShape inputShape();

  /**
   * @return the example as {@code [label, pixel_0 .. pixel_{n-1}]}, pixels uint8 HWC
   * @throws InvalidRecordException when the record cannot be trained on, with the reason
   */
  Example decode(byte[] value) throws InvalidRecordException;

  /** A decoded example and the epoch its Avro record carries, if any. */
  record Example(byte[] bytes, Integer epoch) {
    public int epochOr(int fallback) {
      return epoch == null ? fallback : epoch;
    }
  }
}
