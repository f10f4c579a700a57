package io.streamtrain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

class TrainingRunTooLargeTest {
  @Test
  void shouldSayInOneLineWhichLimitsASnapshotRecordMetAndWhatToChange() {
    var refused =
        new StreamsException(
            "Error encountered sending record to topic model.snapshots",
            new RecordTooLargeException(
                "The request included a message larger than the max message size the server will"
                    + " accept."));
    String line = TrainingRun.stopped("Trainer", refused).getMessage();
    assertEquals(1, line.lines().count(), line);
    assertTrue(line.startsWith("Trainer stopped: a record was refused as too large"), line);
    assertTrue(line.contains("12582912 bytes or as chunk records of 4194304 bytes"), line);
    assertTrue(line.contains("max.message.bytes=16777216"), line);
  }
}
