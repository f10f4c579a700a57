package io.streamtrain.registry;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.apache.avro.Schema;

/** A {@link SchemaStore} that lives in this process only (tests, {@code mock://} registries). */
public final class InMemorySchemaStore implements SchemaStore {
  private final SchemaIndex index = new SchemaIndex();

  @Override
  public synchronized RegisteredSchema register(String subject, Schema schema) {
    Optional<RegisteredSchema> existing = index.find(subject, schema);
    if (existing.isPresent()) {
      return existing.get();
    }
    RegisteredSchema registered = index.next(subject, schema);
    index.put(registered);
    return registered;
  }

  @Override
  public synchronized Optional<RegisteredSchema> lookup(String subject, Schema schema) {
    return index.find(subject, schema);
  }

  @Override
  public synchronized Optional<Schema> schemaById(int id) {
    return index.schemaById(id);
  }

  @Override
  public synchronized List<String> subjects() {
    return index.subjects();
  }

  @Override
  public synchronized List<Integer> versions(String subject) {
    return index.versions(subject);
  }

  @Override
  public synchronized Optional<RegisteredSchema> version(String subject, int version) {
    return index.version(subject, version);
  }

  @Override
  public synchronized Optional<CompatibilityLevel> compatibility(String subject) {
    return index.compatibility(subject);
  }

  @Override
  public synchronized void setCompatibility(String subject, CompatibilityLevel level) {
    index.setCompatibility(subject, Objects.requireNonNull(level, "level"));
  }

  @Override
  public synchronized Optional<CompatibilityLevel> deleteCompatibility(String subject) {
    Optional<CompatibilityLevel> removed = index.compatibility(subject);
    index.setCompatibility(subject, null);
    return removed;
  }

  @Override
  public void close() {}
}
