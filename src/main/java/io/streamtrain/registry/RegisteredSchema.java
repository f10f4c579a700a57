package io.streamtrain.registry;

import java.util.Objects;
import org.apache.avro.Schema;

/**
 * One version of a subject: the subject name, its version number (1, 2, ...), the registry-wide
 * schema id and the schema itself.
 */
public record RegisteredSchema(String subject, int version, int id, Schema schema) {
  public RegisteredSchema {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(schema, "schema");
  }
}
