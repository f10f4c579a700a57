package io.streamtrain.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

/** Parsing and canonical forms of Avro schemas, shared by the stores, clients and serdes. */
public final class AvroSchemas {
  /** Property the Avro compiler adds to string types; meaningless outside Java. */
  static final String JAVA_STRING_PROPERTY = "avro.java.string";

  private static final ObjectMapper JSON = new ObjectMapper();

  private AvroSchemas() {}

  /** Parses one schema; a fresh parser each time because named types may be defined only once. */
  static Schema parse(String json) {
    try {
      return new Schema.Parser().parse(json);
    } catch (NullPointerException e) {
      // Avro 1.12 fails this way on an unknown top-level type name such as "recrod".
      throw new SchemaParseException(
          "Undefined type name (not a primitive type, record, enum, fixed, array, map or union)");
    }
  }

  /**
   * The form compared for "same schema": Avro's own JSON of the parsed schema, as Confluent's
   * registry compares it. Whitespace, key order and escaping in the submitted text do not matter;
   * docs, defaults and logical types do (they change how data reads).
   */
  static String canonical(Schema schema) {
    return schema.toString();
  }

  /**
   * The schema without Java-only string properties, so that a Java producer and a producer in
   * another language registering the same .avsc get the same id (Confluent's
   * avro.remove.java.properties).
   */
  public static Schema withoutJavaProperties(Schema schema) {
    String json = schema.toString();
    if (!json.contains(JAVA_STRING_PROPERTY)) {
      return schema;
    }
    try {
      JsonNode tree = JSON.readTree(json);
      removeJavaProperties(tree);
      return parse(JSON.writeValueAsString(tree));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "Avro wrote invalid JSON for schema " + schema.getFullName(), e);
    }
  }

  private static void removeJavaProperties(JsonNode node) {
    if (node instanceof ObjectNode object) {
      object.remove(JAVA_STRING_PROPERTY);
    }
    for (JsonNode child : node) {
      removeJavaProperties(child);
    }
  }

  /** Short, one-line description of a schema for messages: full name or type name. */
  static String describe(Schema schema) {
    return switch (schema.getType()) {
      case RECORD, ENUM, FIXED -> schema.getFullName();
      default -> schema.getType().getName();
    };
  }
}
