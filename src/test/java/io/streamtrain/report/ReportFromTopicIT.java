package io.streamtrain.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamtrain.app.Pipeline;
import io.streamtrain.cli.Main;
import io.streamtrain.config.Settings;
import io.streamtrain.config.SettingsLoader;
import io.streamtrain.kafka.EmbeddedKafkaExtension;
import io.streamtrain.schema.TrainingMetric;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code streamtrain report} against a real broker: the model's records, in order, only. */
class ReportFromTopicIT {
  @RegisterExtension static final EmbeddedKafkaExtension kafka = new EmbeddedKafkaExtension();

  @Test
  void shouldReportTheNamedModelFromTheMetricsTopicAndDumpItsRecords(@TempDir Path dir)
      throws Exception {
    String prefix = "it-" + UUID.randomUUID() + ".";
    String registry = "mock://report-" + UUID.randomUUID();
    Settings settings =
        SettingsLoader.load(
            null,
            Map.of(),
            Map.of("bootstrap", kafka.bootstrap(), "registry", registry, "topic-prefix", prefix));
    Pipeline pipeline = new Pipeline(settings);
    String topic = pipeline.names().trainingMetrics();
    try (Admin admin = Admin.create(settings.adminProps())) {
      admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get();
    }
    List<TrainingMetric> mine = SyntheticRun.quickstart("fashion-mlp", 3);
    Serializer<TrainingMetric> serializer = pipeline.serde(TrainingMetric.class).serializer();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(settings.producerProps())) {
      for (TrainingMetric m : SyntheticRun.quickstart("other-model", 1)) {
        producer.send(record(topic, m.getModelName(), serializer.serialize(topic, m)));
      }
      for (TrainingMetric m : mine) {
        producer.send(record(topic, m.getModelName(), serializer.serialize(topic, m)));
      }
      producer.send(record(topic, "fashion-mlp", new byte[] {9, 9, 9}));
    }
    Path out = dir.resolve("report");
    Path dump = dir.resolve("metrics.jsonl");

    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    int code =
        runCapturing(
            stdout,
            stderr,
            "report",
            "--bootstrap",
            kafka.bootstrap(),
            "--registry",
            registry,
            "--topic-prefix",
            prefix,
            "--out",
            out.toString(),
            "--dump",
            dump.toString(),
            "--json");

    String err = stderr.toString(StandardCharsets.UTF_8);
    assertEquals(0, code, err);
    JsonNode summary = new ObjectMapper().readTree(stdout.toString(StandardCharsets.UTF_8));
    assertEquals(mine.size(), summary.get("records").asLong());
    assertEquals(3, summary.get("epochs").size());
    assertEquals(3 * SyntheticRun.STEPS_PER_EPOCH, summary.get("version").asLong());
    assertTrue(err.contains("Skipped 1 metric records of fashion-mlp that do not decode"), err);
    assertEquals(mine, MetricLines.read(dump));
    assertTrue(Files.size(out.resolve(ReportFiles.PNG)) > 10_000);
  }

  private static ProducerRecord<byte[], byte[]> record(String topic, String key, byte[] value) {
    return new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value);
  }

  private static int runCapturing(
      ByteArrayOutputStream out, ByteArrayOutputStream err, String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      return Main.run(args);
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }
}
