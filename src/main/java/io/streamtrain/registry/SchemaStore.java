package io.streamtrain.registry;

import java.util.List;
import java.util.Optional;
import org.apache.avro.Schema;

/**
 * The registry's state: subjects, their versions and registry-wide schema ids. Schemas are compared
 * in canonical form, so re-submitting a schema with other whitespace is the same schema. A schema
 * already registered under another subject keeps its id (Confluent's rule); new schemas get the
 * highest id so far plus one, starting at 1. The store also keeps the compatibility levels set
 * globally and per subject; it does not enforce them (the {@link RegistryServer} does).
 * Implementations are thread-safe and throw {@link SchemaStoreException} when their storage fails.
 */
public interface SchemaStore extends AutoCloseable {

  /**
   * Registers {@code schema} as the next version of {@code subject}, or returns the existing
   * version when the subject already has it.
   */
  RegisteredSchema register(String subject, Schema schema);

  /** The version of {@code subject} that has {@code schema}, if any. */
  Optional<RegisteredSchema> lookup(String subject, Schema schema);

  /** The schema with registry-wide id {@code id}, if any. */
  Optional<Schema> schemaById(int id);

  /** All subjects with at least one version, sorted. */
  List<String> subjects();

  /** Version numbers of {@code subject}, ascending; empty when the subject does not exist. */
  List<Integer> versions(String subject);

  /** Version {@code version} of {@code subject}, if any. */
  Optional<RegisteredSchema> version(String subject, int version);

  /** The newest version of {@code subject}, if any. */
  default Optional<RegisteredSchema> latest(String subject) {
    List<Integer> versions = versions(subject);
    return versions.isEmpty()
        ? Optional.empty()
        : version(subject, versions.get(versions.size() - 1));
  }

  /**
   * The compatibility level set for {@code subject}, or the global one when {@code subject} is
   * null; empty when none is set (a subject then follows the global level, and the global level is
   * {@link CompatibilityLevel#DEFAULT}).
   */
  Optional<CompatibilityLevel> compatibility(String subject);

  /** Sets the compatibility level of {@code subject}, or the global one when it is null. */
  void setCompatibility(String subject, CompatibilityLevel level);

  /**
   * Removes the level set for {@code subject}, which then follows the global level again.
   *
   * @return the removed level, empty when none was set
   */
  Optional<CompatibilityLevel> deleteCompatibility(String subject);

  @Override
  void close();
}
