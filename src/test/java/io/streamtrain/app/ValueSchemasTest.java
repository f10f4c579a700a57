package io.streamtrain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.streamtrain.kafka.TopicNames;
import io.streamtrain.registry.MockSchemaRegistry;
import io.streamtrain.registry.SchemaRegistryClient;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class ValueSchemasTest {
  @Test
  void shouldRegisterEveryValueSchemaOnceAndThenFindThem() {
    SchemaRegistryClient registry = MockSchemaRegistry.forScope("values-" + UUID.randomUUID());
    TopicNames names = TopicNames.withPrefix("x.");

    Map<String, String> first = ValueSchemas.register(registry, names);
    Map<String, String> second = ValueSchemas.register(registry, names);

    assertEquals(
        java.util.List.of(
            "x.images.train-value", "x.images.test-value", "x.train.feed-value",
            "x.images.infer-value", "x.predictions-value", "x.model.snapshots-value",
            "x.training.metrics-value"),
        java.util.List.copyOf(first.keySet()));
    assertEquals(registry.subjects(), java.util.List.copyOf(new java.util.TreeSet<>(first.keySet())));
    first.values().forEach(o -> assertEquals(true, o.startsWith("registered: "), o));
    second.values().forEach(o -> assertEquals(true, o.startsWith("exists: "), o));
    assertEquals(1, registry.versions("x.images.train-value").size(), "idempotent");
    // One id for the four LabeledImage topics: the schema Java's serializer registers.
    assertEquals(
        registry.getLatest("x.images.train-value").id(),
        registry.getLatest("x.images.infer-value").id());
  }

  /** What other producers read in schemas/ is what topics create registers. */
  @Test
  void shouldMatchTheFilesInSchemas() throws IOException {
    Map<String, Schema> registered = ValueSchemas.of(TopicNames.DEFAULT);
    // Self-contained files: a registry accepts each as it is.
    for (String name : new String[] {"LabeledImage", "Prediction", "TrainingMetric"}) {
      Schema file = new Schema.Parser().parse(Path.of("schemas", name + ".avsc").toFile());
      assertEquals(
          registered.values().stream().filter(s -> s.getName().equals(name)).findFirst().orElseThrow(),
          file,
          name);
    }
    // ModelSnapshot.avsc names NamedTensor from NamedTensor.avsc (docs/python-clients.md).
    Schema.Parser parser = new Schema.Parser();
    parser.parse(Path.of("schemas", "NamedTensor.avsc").toFile());
    assertEquals(
        registered.get("model.snapshots-value"),
        parser.parse(Path.of("schemas", "ModelSnapshot.avsc").toFile()));
  }
}
