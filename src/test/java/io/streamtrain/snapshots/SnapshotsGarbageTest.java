package io.streamtrain.snapshots;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.streamtrain.registry.RecordDecodingException;
import io.streamtrain.registry.WireFormat;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** A record on model.snapshots that is not a snapshot is named, with where it is and the way on. */
class SnapshotsGarbageTest {
  @Test
  void shouldNameTopicPartitionOffsetAndTheWayOn() {
    ConsumerRecord<byte[], byte[]> garbage =
        new ConsumerRecord<>(
            "p.model.snapshots",
            2,
            17L,
            "fashion-mlp".getBytes(StandardCharsets.UTF_8),
            "this is not a snapshot".getBytes(StandardCharsets.UTF_8));

    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                Snapshots.decode(
                    garbage,
                    (topic, bytes) -> {
                      throw new RecordDecodingException(
                          RecordDecodingException.Reason.UNKNOWN_MAGIC_BYTE,
                          "Unknown magic byte 0x74 (expected 0x0" + WireFormat.MAGIC_BYTE + ")");
                    }));

    assertEquals(
        "The newest record of model fashion-mlp on p.model.snapshots (partition 2, offset 17) is"
            + " not a snapshot: Unknown magic byte 0x74 (expected 0x00) (resume from a good"
            + " version with --snapshot-version V, or start over with --from-scratch)",
        e.getMessage());
  }
}
