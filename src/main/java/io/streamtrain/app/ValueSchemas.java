package io.streamtrain.app;

import io.streamtrain.kafka.TopicNames;
import io.streamtrain.registry.AvroSchemas;
import io.streamtrain.registry.RegisteredSchema;
import io.streamtrain.registry.RestSchemaRegistryClient;
import io.streamtrain.registry.SchemaRegistryClient;
import io.streamtrain.registry.SchemaRegistryException;
import io.streamtrain.registry.Subjects;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.Prediction;
import io.streamtrain.schema.TrainingMetric;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.avro.Schema;

/**
 * The Avro value schema of every topic that carries one, registered by {@code topics create} so
 * that other producers (Confluent's clients with {@code use.latest.version} and no
 * auto-registration) find them before streamtrain itself has written anything. Each is the schema
 * streamtrain's serializers register (self-contained, Java-only properties removed), so they get
 * the same id. Registering again is a no-op; a newer schema is registered under whatever
 * compatibility level the registry enforces, and refused with its one-line 409 when incompatible.
 */
public final class ValueSchemas {
  public static final String REGISTERED = "registered";
  public static final String EXISTS = "exists";

  private ValueSchemas() {}

  /** Subject (TopicNameStrategy, {@code <topic>-value}) to its schema, in DESIGN.md's order. */
  public static Map<String, Schema> of(TopicNames names) {
    Map<String, Schema> schemas = new LinkedHashMap<>();
    Schema image = AvroSchemas.withoutJavaProperties(LabeledImage.getClassSchema());
    for (String topic :
        new String[] {
          names.imagesTrain(), names.imagesTest(), names.trainFeed(), names.imagesInfer()
        }) {
      schemas.put(Subjects.topicNameStrategy(topic, false), image);
    }
    schemas.put(
        Subjects.topicNameStrategy(names.predictions(), false),
        AvroSchemas.withoutJavaProperties(Prediction.getClassSchema()));
    schemas.put(
        Subjects.topicNameStrategy(names.modelSnapshots(), false),
        AvroSchemas.withoutJavaProperties(ModelSnapshot.getClassSchema()));
    schemas.put(
        Subjects.topicNameStrategy(names.trainingMetrics(), false),
        AvroSchemas.withoutJavaProperties(TrainingMetric.getClassSchema()));
    return schemas;
  }

  /**
   * Registers every value schema of {@code names} that is not registered yet; returns, per subject,
   * a line such as {@code registered: LabeledImage id 1 version 1 (compatibility BACKWARD)}.
   */
  public static Map<String, String> register(SchemaRegistryClient registry, TopicNames names) {
    Map<String, String> outcomes = new LinkedHashMap<>();
    for (Map.Entry<String, Schema> entry : of(names).entrySet()) {
      String subject = entry.getKey();
      Schema schema = entry.getValue();
      String outcome = EXISTS;
      RegisteredSchema registered;
      try {
        registered = registry.lookup(subject, schema);
      } catch (SchemaRegistryException e) {
        if (!e.isNotFound()) {
          throw e;
        }
        registry.register(subject, schema);
        registered = registry.lookup(subject, schema);
        outcome = REGISTERED;
      }
      outcomes.put(
          subject,
          String.format(
              Locale.ROOT,
              "%s: %s id %d version %d%s",
              outcome,
              schema.getName(),
              registered.id(),
              registered.version(),
              registry instanceof RestSchemaRegistryClient rest
                  ? " (compatibility " + rest.compatibility(subject) + ")"
                  : ""));
    }
    return outcomes;
  }
}
