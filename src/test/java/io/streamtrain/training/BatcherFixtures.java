package io.streamtrain.training;

import io.streamtrain.data.ImageShape;
import io.streamtrain.records.ExampleDecoder;
import io.streamtrain.records.InvalidRecordException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/** What the batcher tests feed and keep: indexed examples and an in-memory window store. */
final class BatcherFixtures {
  private BatcherFixtures() {}

  /**
   * Value "i" is example i: label i % 10, every pixel (byte) i; a negative i is a record that
   * cannot be used.
   */
  static ExampleDecoder indexDecoder(ImageShape shape) {
    return new ExampleDecoder() {
      @Override
      public ImageShape inputShape() {
        return shape;
      }

      @Override
      public Example decode(byte[] value) throws InvalidRecordException {
        int i = Integer.parseInt(new String(value, StandardCharsets.UTF_8));
        if (i < 0) {
          throw new InvalidRecordException("label-out-of-range", "label " + i);
        }
        byte[] labelAndPixels = new byte[1 + shape.size()];
        labelAndPixels[0] = (byte) (i % 10);
        Arrays.fill(labelAndPixels, 1, labelAndPixels.length, (byte) i);
        return new Example(labelAndPixels, null);
      }
    };
  }

  /** The batcher's store, in memory without a changelog, initialised on {@code context}. */
  static KeyValueStore<Long, byte[]> store(MockProcessorContext<Object, Object> context) {
    KeyValueStore<Long, byte[]> store =
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(MiniBatcher.STORE), Serdes.Long(), Serdes.ByteArray())
            .withLoggingDisabled()
            .build();
    store.init(context.getStateStoreContext(), store);
    return store;
  }
}
