package io.streamtrain.registry;

import java.util.List;
import org.apache.avro.Schema;

/**
 * The calls streamtrain's serdes and commands make to a Confluent-compatible schema registry.
 * Implementations are thread-safe and cache immutable answers (id to schema, subject and schema to
 * id). Failures are {@link SchemaRegistryException}s with one-line messages.
 */
public interface SchemaRegistryClient {

  /**
   * Registers {@code schema} under {@code subject} (a no-op returning the existing id when it is
   * already registered there) and returns its registry-wide id.
   */
  int register(String subject, Schema schema);

  /**
   * Finds {@code schema} among the versions of {@code subject} without registering it.
   *
   * @throws SchemaRegistryException with error code 40401 (no such subject) or 40403 (schema not
   *     registered under it)
   */
  RegisteredSchema lookup(String subject, Schema schema);

  /**
   * The schema with registry-wide id {@code id}.
   *
   * @throws SchemaRegistryException with error code 40403 when no schema has that id
   */
  Schema getById(int id);

  /** The newest version of {@code subject} (40401 when the subject does not exist). */
  RegisteredSchema getLatest(String subject);

  /** Version {@code version} of {@code subject} (40401 no subject, 40402 no such version). */
  RegisteredSchema getVersion(String subject, int version);

  /** All subjects, sorted. */
  List<String> subjects();

  /** The version numbers of {@code subject}, ascending (40401 when the subject does not exist). */
  List<Integer> versions(String subject);

  /** Where this client points, without credentials, for messages (e.g. http://localhost:8081). */
  String url();
}
