package io.streamtrain.registry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.avro.Schema;

/**
 * The in-memory index behind every {@link SchemaStore}: id to schema, canonical schema to id,
 * subject to version to id, and the compatibility levels set (the global one under the null key).
 * Holds the registration rules in one place. Not thread-safe; stores guard it.
 */
final class SchemaIndex {
  private final Map<Integer, Schema> schemasById = new HashMap<>();
  private final Map<String, Integer> idsByCanonical = new HashMap<>();
  private final Map<String, TreeMap<Integer, Integer>> idsBySubjectVersion = new TreeMap<>();
  private final Map<String, CompatibilityLevel> levels = new HashMap<>();
  private int maxId;

  Optional<RegisteredSchema> find(String subject, Schema schema) {
    Integer id = idsByCanonical.get(AvroSchemas.canonical(schema));
    TreeMap<Integer, Integer> versions = idsBySubjectVersion.get(subject);
    if (id == null || versions == null) {
      return Optional.empty();
    }
    for (Map.Entry<Integer, Integer> version : versions.entrySet()) {
      if (version.getValue().equals(id)) {
        return Optional.of(
            new RegisteredSchema(subject, version.getKey(), id, schemasById.get(id)));
      }
    }
    return Optional.empty();
  }

  /** The registration {@code schema} would get as a new version of {@code subject}. */
  RegisteredSchema next(String subject, Schema schema) {
    Integer id = idsByCanonical.get(AvroSchemas.canonical(schema));
    TreeMap<Integer, Integer> versions = idsBySubjectVersion.get(subject);
    int version = versions == null || versions.isEmpty() ? 1 : versions.lastKey() + 1;
    return new RegisteredSchema(subject, version, id != null ? id : maxId + 1, schema);
  }

  void put(RegisteredSchema registered) {
    schemasById.putIfAbsent(registered.id(), registered.schema());
    // Two ids for one schema only arise from racing writers; the lower one is the answer.
    idsByCanonical.merge(AvroSchemas.canonical(registered.schema()), registered.id(), Math::min);
    idsBySubjectVersion
        .computeIfAbsent(registered.subject(), s -> new TreeMap<>())
        .put(registered.version(), registered.id());
    maxId = Math.max(maxId, registered.id());
  }

  /** Forgets a (soft- or hard-)deleted version; its id stays taken so it is never reused. */
  void removeVersion(String subject, int version, int id) {
    TreeMap<Integer, Integer> versions = idsBySubjectVersion.get(subject);
    if (versions != null) {
      versions.remove(version);
      if (versions.isEmpty()) {
        idsBySubjectVersion.remove(subject);
      }
    }
    maxId = Math.max(maxId, id);
  }

  Optional<Schema> schemaById(int id) {
    return Optional.ofNullable(schemasById.get(id));
  }

  List<String> subjects() {
    return new ArrayList<>(idsBySubjectVersion.keySet());
  }

  List<Integer> versions(String subject) {
    TreeMap<Integer, Integer> versions = idsBySubjectVersion.get(subject);
    return versions == null ? List.of() : new ArrayList<>(versions.keySet());
  }

  Optional<RegisteredSchema> version(String subject, int version) {
    TreeMap<Integer, Integer> versions = idsBySubjectVersion.get(subject);
    Integer id = versions == null ? null : versions.get(version);
    return id == null
        ? Optional.empty()
        : Optional.of(new RegisteredSchema(subject, version, id, schemasById.get(id)));
  }

  /** The level set for {@code subject}, or the global one for null. */
  Optional<CompatibilityLevel> compatibility(String subject) {
    return Optional.ofNullable(levels.get(subject));
  }

  /** Sets (or, with a null level, removes) the level of {@code subject}, global for null. */
  void setCompatibility(String subject, CompatibilityLevel level) {
    if (level == null) {
      levels.remove(subject);
    } else {
      levels.put(subject, level);
    }
  }
}
