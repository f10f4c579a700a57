package io.streamtrain.registry;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;
import org.apache.avro.Schema;

/**
 * The in-process registry behind {@code mock://scope} URLs: every client of one scope in this JVM
 * shares one {@link InMemorySchemaStore}, as Confluent's serializers do. Other processes cannot see
 * it; use the embedded {@link RegistryServer} for those.
 */
public final class MockSchemaRegistry implements SchemaRegistryClient {
  public static final String URL_PREFIX = "mock://";

  // The one mutable static the conventions allow: the scope map is what makes mock:// work.
  private static final ConcurrentMap<String, MockSchemaRegistry> SCOPES = new ConcurrentHashMap<>();

  private final String scope;
  private final SchemaStore store = new InMemorySchemaStore();

  private MockSchemaRegistry(String scope) {
    this.scope = scope;
  }

  /** The registry of {@code scope}, created on first use. */
  public static MockSchemaRegistry forScope(String scope) {
    return SCOPES.computeIfAbsent(scope, MockSchemaRegistry::new);
  }

  /** The store behind this scope, for a {@link RegistryServer} that shows it to other processes. */
  public SchemaStore store() {
    return store;
  }

  /** Forgets everything registered in {@code scope} (tests call this to start clean). */
  public static void dropScope(String scope) {
    SCOPES.remove(scope);
  }

  @Override
  public int register(String subject, Schema schema) {
    return store.register(subject, schema).id();
  }

  @Override
  public RegisteredSchema lookup(String subject, Schema schema) {
    requireSubject(subject);
    return found(
        store.lookup(subject, schema),
        SchemaRegistryException.SCHEMA_NOT_FOUND,
        () ->
            "Schema "
                + AvroSchemas.describe(schema)
                + " is not registered under subject "
                + subject);
  }

  @Override
  public Schema getById(int id) {
    return found(
        store.schemaById(id),
        SchemaRegistryException.SCHEMA_NOT_FOUND,
        () -> "Schema id " + id + " is not in the registry");
  }

  @Override
  public RegisteredSchema getLatest(String subject) {
    requireSubject(subject);
    return store.latest(subject).orElseThrow();
  }

  @Override
  public RegisteredSchema getVersion(String subject, int version) {
    requireSubject(subject);
    return found(
        store.version(subject, version),
        SchemaRegistryException.VERSION_NOT_FOUND,
        () -> "Subject " + subject + " has no version " + version);
  }

  @Override
  public List<String> subjects() {
    return store.subjects();
  }

  @Override
  public List<Integer> versions(String subject) {
    requireSubject(subject);
    return store.versions(subject);
  }

  @Override
  public String url() {
    return URL_PREFIX + scope;
  }

  private void requireSubject(String subject) {
    if (store.versions(subject).isEmpty()) {
      throw notFound(
          "Subject " + subject + " not found", SchemaRegistryException.SUBJECT_NOT_FOUND);
    }
  }

  /** The value, or the registry's 404 with {@code errorCode} when it is absent. */
  private <T> T found(Optional<T> value, int errorCode, Supplier<String> what) {
    return value.orElseThrow(() -> notFound(what.get(), errorCode));
  }

  private SchemaRegistryException notFound(String what, int errorCode) {
    return new SchemaRegistryException(what + " (" + url() + ")", 404, errorCode);
  }
}
