package io.streamtrain.records;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.data.ImageShape;
import io.streamtrain.registry.SchemaRegistryException;
import io.streamtrain.schema.ImageEncoding;
import io.streamtrain.schema.LabeledImage;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.Test;

/** An unreachable registry is waited out (the record is not dead-lettered), then explained. */
class RegistryOutageDecoderTest {
  private static final ImageShape SHAPE = new ImageShape(2, 2, 1);
  private static final byte[] ANY = {0, 0, 0, 0, 1, 2};

  private static LabeledImage image() {
    return LabeledImage.newBuilder()
        .setId("i")
        .setHeight(2)
        .setWidth(2)
        .setChannels(1)
        .setEncoding(ImageEncoding.RAW)
        .setData(ByteBuffer.wrap(new byte[4]))
        .setLabel(3)
        .build();
  }

  private static SchemaRegistryException unreachable() {
    return new SchemaRegistryException(
        "Cannot reach Schema Registry at http://localhost:1",
        0,
        SchemaRegistryException.NO_ERROR_CODE);
  }

  /** Fails {@code failures} times as an unreachable registry would, then decodes. */
  private static Deserializer<LabeledImage> flaky(int failures, AtomicInteger calls) {
    return (topic, bytes) -> {
      if (calls.incrementAndGet() <= failures) {
        throw unreachable();
      }
      return image();
    };
  }

  private static LabeledImageDecoder decoder(Deserializer<LabeledImage> d, Duration wait) {
    return new LabeledImageDecoder(d, "feed", SHAPE, 10, 1_000_000, wait, Duration.ofMillis(1));
  }

  @Test
  void shouldRetryUntilTheRegistryAnswersAndDecodeTheSameRecord() throws InvalidRecordException {
    AtomicInteger calls = new AtomicInteger();
    LabeledImageDecoder decoder = decoder(flaky(3, calls), Duration.ofSeconds(30));

    assertEquals(3, decoder.decode(ANY).bytes()[0]);
    assertEquals(4, calls.get());
  }

  @Test
  void shouldStopWithOneLineNamingTheRegistryWhenTheWaitRunsOut() {
    AtomicInteger calls = new AtomicInteger();
    LabeledImageDecoder decoder = decoder(flaky(Integer.MAX_VALUE, calls), Duration.ofMillis(50));

    SchemaRegistryException e =
        assertThrows(SchemaRegistryException.class, () -> decoder.decode(ANY));
    assertTrue(calls.get() > 1, "retried: " + calls.get());
    assertTrue(e.getMessage().contains("http://localhost:1"), e.getMessage());
    assertTrue(e.getMessage().contains("--outage-wait-seconds"), e.getMessage());
    assertTrue(e.getMessage().contains("no record was dead-lettered"), e.getMessage());
  }

  @Test
  void shouldNotRetryAnAnswerThatRetryingCannotChange() {
    AtomicInteger calls = new AtomicInteger();
    LabeledImageDecoder decoder =
        decoder(
            (topic, bytes) -> {
              calls.incrementAndGet();
              throw new SchemaRegistryException("forbidden", 403, 40301);
            },
            Duration.ofSeconds(30));

    assertThrows(SchemaRegistryException.class, () -> decoder.decode(ANY));
    assertEquals(1, calls.get());
  }
}
