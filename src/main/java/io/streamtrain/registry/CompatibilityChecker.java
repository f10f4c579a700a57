package io.streamtrain.registry;

import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;

/**
 * Decides whether a candidate schema may follow earlier versions of a subject under a {@link
 * CompatibilityLevel}, with Avro's own reader/writer checker ({@link SchemaCompatibility}), and
 * words the problems as Confluent's registry does ({@code {errorType:'...', description:'...',
 * additionalInfo:'...'}}, then the old version, the old schema and the level).
 */
final class CompatibilityChecker {
  private CompatibilityChecker() {}

  /**
   * The problems that keep {@code candidate} from following {@code previous} (oldest first) under
   * {@code level}: empty when compatible. Transitive levels check every earlier version, newest
   * first, the others only the latest; the answer describes the first version that fails.
   */
  static List<String> problems(
      CompatibilityLevel level, Schema candidate, List<RegisteredSchema> previous) {
    if (level == CompatibilityLevel.NONE || previous.isEmpty()) {
      return List.of();
    }
    int oldest = level.transitive() ? 0 : previous.size() - 1;
    for (int i = previous.size() - 1; i >= oldest; i--) {
      List<String> problems = problems(level, candidate, previous.get(i));
      if (!problems.isEmpty()) {
        return problems;
      }
    }
    return List.of();
  }

  /** The problems of {@code candidate} against one earlier version, ignoring transitivity. */
  static List<String> problems(
      CompatibilityLevel level, Schema candidate, RegisteredSchema earlier) {
    List<String> problems = new ArrayList<>();
    if (level.backward()) {
      describe(candidate, earlier.schema(), "new", "old", problems);
    }
    if (level.forward()) {
      describe(earlier.schema(), candidate, "old", "new", problems);
    }
    if (!problems.isEmpty()) {
      problems.add("{oldSchemaVersion: " + earlier.version() + "}");
      problems.add("{oldSchema: '" + earlier.schema() + "'}");
      problems.add("{compatibility: '" + level + "'}");
    }
    return problems;
  }

  private static void describe(
      Schema reader, Schema writer, String readerRole, String writerRole, List<String> out) {
    for (Incompatibility problem :
        SchemaCompatibility.checkReaderWriterCompatibility(reader, writer)
            .getResult()
            .getIncompatibilities()) {
      out.add(
          "{errorType:'"
              + problem.getType()
              + "', description:'"
              + description(problem, readerRole, writerRole)
              + "', additionalInfo:'"
              + problem.getMessage()
              + "'}");
    }
  }

  private static String description(Incompatibility problem, String reader, String writer) {
    String path = problem.getLocation();
    return switch (problem.getType()) {
      case READER_FIELD_MISSING_DEFAULT_VALUE ->
          "The field '"
              + problem.getMessage()
              + "' at path '"
              + path
              + "' in the "
              + reader
              + " schema has no default value and is missing in the "
              + writer
              + " schema";
      case TYPE_MISMATCH ->
          "The type (path '"
              + path
              + "') of a field in the "
              + reader
              + " schema does not match with the "
              + writer
              + " schema";
      case NAME_MISMATCH -> "The name of the schema has changed (path '" + path + "')";
      case MISSING_ENUM_SYMBOLS ->
          "The "
              + reader
              + " schema is missing enum symbols '"
              + problem.getMessage()
              + "' at path '"
              + path
              + "' in the "
              + writer
              + " schema";
      case MISSING_UNION_BRANCH ->
          "The "
              + reader
              + " schema is missing a type inside a union field at path '"
              + path
              + "' in the "
              + writer
              + " schema";
      case FIXED_SIZE_MISMATCH ->
          "The size of FIXED type field at path '"
              + path
              + "' in the "
              + reader
              + " schema does not match with the "
              + writer
              + " schema";
    };
  }
}
