package io.streamtrain.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.schema.MetricKind;
import io.streamtrain.schema.TrainingMetric;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricLinesTest {

  @Test
  void shouldRoundTripRecordsIncludingAbsentFields(@TempDir Path dir) {
    List<TrainingMetric> metrics = new ArrayList<>(SyntheticRun.quickstart("m", 1));
    TrainingMetric rollback =
        SyntheticRun.metric("m", 1, 40, MetricKind.ROLLBACK, null, null, null, 20L, 5);
    rollback.setDetail("rolled back to snapshot version 0: \"NaN\"");
    metrics.add(rollback);
    Path file = dir.resolve("metrics.jsonl");

    MetricLines.write(metrics, file);

    assertEquals(metrics, MetricLines.read(file));
  }

  @Test
  void shouldAcceptEpochMillisecondsAndSkipBlankLines(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("m.jsonl");
    Files.writeString(
        file,
        "{\"modelName\":\"m\",\"epoch\":1,\"step\":7,\"kind\":\"BATCH\",\"loss\":2.5,"
            + "\"time\":1700000000000}\n\n");

    List<TrainingMetric> read = MetricLines.read(file);

    assertEquals(1, read.size());
    assertEquals(7, read.get(0).getVersion());
    assertEquals(1_700_000_000_000L, read.get(0).getTime().toEpochMilli());
  }

  @Test
  void shouldNameTheFileAndLineOfABadRecord(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("bad.jsonl");
    Files.writeString(
        file,
        MetricLines.toJson(SyntheticRun.quickstart("m", 1).get(0))
            + "\n"
            + "{\"modelName\":\"m\",\"epoch\":1,\"step\":7,\"kind\":\"WEIRD\",\"time\":1}\n");

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> MetricLines.read(file));

    assertTrue(e.getMessage().startsWith(file + " line 2: unknown kind \"WEIRD\""), e.getMessage());
  }
}
