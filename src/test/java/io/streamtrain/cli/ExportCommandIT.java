package io.streamtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.app.Pipeline;
import io.streamtrain.app.TestPipelines;
import io.streamtrain.kafka.EmbeddedKafkaExtension;
import io.streamtrain.model.StateDictFiles;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.NamedTensor;
import io.streamtrain.serving.VersionedModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code export} writes the newest snapshot, or one version, as a file PyTorch reads. */
class ExportCommandIT {
  @RegisterExtension static final EmbeddedKafkaExtension kafka = new EmbeddedKafkaExtension();
  @TempDir Path dir;

  @Test
  void shouldExportTheNewestOrTheAskedVersionAsPthAndSafetensors() throws Exception {
    Pipeline pipeline = TestPipelines.create(kafka.broker(), dir.resolve("state"), Map.of());
    String model = "exported";
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(pipeline.settings().producerProps())) {
      for (long version : List.of(3L, 7L)) {
        String topic = pipeline.names().modelSnapshots();
        producer.send(
            new ProducerRecord<>(
                topic,
                model.getBytes(StandardCharsets.UTF_8),
                pipeline
                    .serde(ModelSnapshot.class)
                    .serializer()
                    .serialize(topic, VersionedModels.snapshot(model, version))));
      }
    }
    List<String> common =
        List.of(
            "--bootstrap", pipeline.settings().bootstrap(),
            "--registry", pipeline.settings().registryUrl(),
            "--topic-prefix", pipeline.settings().topicPrefix(),
            "--model-name", model);

    Path newest = dir.resolve("newest.pth");
    CommandLine.Result r = CommandLine.run(args("export", "--out", newest.toString(), common));
    assertEquals(0, r.exitCode(), r.err());
    assertSameTensors(VersionedModels.snapshot(model, 7), StateDictFiles.load(newest));

    Path older = dir.resolve("older.safetensors");
    r =
        CommandLine.run(
            args("export", "--out", older.toString(), "--snapshot-version", "3", common));
    assertEquals(0, r.exitCode(), r.err());
    assertSameTensors(VersionedModels.snapshot(model, 3), StateDictFiles.load(older));

    r =
        CommandLine.run(
            args("export", "--out", older.toString(), "--snapshot-version", "5", common));
    assertTrue(r.exitCode() != 0 && r.err().contains("--snapshot-version 5"), r.err());
  }

  private static String[] args(String command, String flag, String value, List<String> common) {
    return args(command, flag, value, null, null, common);
  }

  private static String[] args(
      String command, String f1, String v1, String f2, String v2, List<String> common) {
    List<String> all = new java.util.ArrayList<>(List.of(command, f1, v1));
    if (f2 != null) {
      all.addAll(List.of(f2, v2));
    }
    all.addAll(common);
    return all.toArray(String[]::new);
  }

  private static void assertSameTensors(ModelSnapshot expected, ModelSnapshot actual) {
    assertEquals(expected.getTensors().size(), actual.getTensors().size());
    for (int i = 0; i < expected.getTensors().size(); i++) {
      NamedTensor a = expected.getTensors().get(i);
      NamedTensor b = actual.getTensors().get(i);
      assertEquals(a.getShape(), b.getShape(), a.getName());
      assertEquals(a.getData(), b.getData(), a.getName() + " bit for bit");
    }
  }
}
