package io.streamtrain.registry;

import static io.streamtrain.registry.CompatibilityLevel.BACKWARD;
import static io.streamtrain.registry.CompatibilityLevel.BACKWARD_TRANSITIVE;
import static io.streamtrain.registry.CompatibilityLevel.FORWARD;
import static io.streamtrain.registry.CompatibilityLevel.FORWARD_TRANSITIVE;
import static io.streamtrain.registry.CompatibilityLevel.FULL;
import static io.streamtrain.registry.CompatibilityLevel.FULL_TRANSITIVE;
import static io.streamtrain.registry.CompatibilityLevel.NONE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Each compatibility level on the schema changes people make: add, remove, rename fields. */
class CompatibilityCheckerTest {
  private static final Schema POINT = point("{\"name\":\"x\",\"type\":\"int\"}", y());
  private static final Schema ADD_WITH_DEFAULT =
      point(
          "{\"name\":\"x\",\"type\":\"int\"}",
          y(),
          "{\"name\":\"z\",\"type\":\"int\",\"default\":0}");
  private static final Schema ADD_WITHOUT_DEFAULT =
      point("{\"name\":\"x\",\"type\":\"int\"}", y(), "{\"name\":\"z\",\"type\":\"int\"}");
  private static final Schema REMOVE_Y = point("{\"name\":\"x\",\"type\":\"int\"}");
  private static final Schema RENAME_Y =
      point("{\"name\":\"x\",\"type\":\"int\"}", "{\"name\":\"why\",\"type\":\"int\"}");
  private static final Schema RENAME_Y_WITH_ALIAS =
      point(
          "{\"name\":\"x\",\"type\":\"int\"}",
          "{\"name\":\"why\",\"type\":\"int\",\"aliases\":[\"y\"]}");
  private static final Schema CHANGE_Y_TYPE =
      point("{\"name\":\"x\",\"type\":\"int\"}", "{\"name\":\"y\",\"type\":\"string\"}");
  private static final Schema WIDEN_Y_TYPE =
      point("{\"name\":\"x\",\"type\":\"int\"}", "{\"name\":\"y\",\"type\":\"long\"}");

  /** One change of POINT each, and the levels that accept it against POINT alone. */
  static Stream<Arguments> changes() {
    return Stream.of(
        row("field added with a default", ADD_WITH_DEFAULT, CompatibilityLevel.values()),
        row("field added without default", ADD_WITHOUT_DEFAULT, NONE, FORWARD, FORWARD_TRANSITIVE),
        row("field removed without default", REMOVE_Y, NONE, BACKWARD, BACKWARD_TRANSITIVE),
        row("rename without alias", RENAME_Y, NONE),
        row("rename with alias", RENAME_Y_WITH_ALIAS, NONE, BACKWARD, BACKWARD_TRANSITIVE),
        // Avro promotion: a long reader reads int data (BACKWARD), an int reader cannot read longs.
        row("int widened to long", WIDEN_Y_TYPE, NONE, BACKWARD, BACKWARD_TRANSITIVE),
        row("int changed to string", CHANGE_Y_TYPE, NONE));
  }

  private static Arguments row(String change, Schema candidate, CompatibilityLevel... accepted) {
    return Arguments.of(change, candidate, EnumSet.copyOf(List.of(accepted)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("changes")
  void shouldAcceptAChangeUnderExactlyTheLevelsWhoseReadersCanReadIt(
      String change, Schema candidate, Set<CompatibilityLevel> accepted) {
    assertEquals(accepted, accepting(POINT, candidate));
  }

  @Test
  void shouldCheckEveryVersionOnlyWhenTransitive() {
    // v1 {x}, v2 {x, y default 0}, candidate {x, y}: fine against v2, not against v1 (no y there).
    Schema v1 = point("{\"name\":\"x\",\"type\":\"int\"}");
    Schema v2 =
        point(
            "{\"name\":\"x\",\"type\":\"int\"}", "{\"name\":\"y\",\"type\":\"int\",\"default\":0}");
    List<RegisteredSchema> history = List.of(version(1, v1), version(2, v2));

    assertTrue(CompatibilityChecker.problems(BACKWARD, POINT, history).isEmpty());
    assertTrue(CompatibilityChecker.problems(FULL, POINT, history).isEmpty());
    assertEquals(
        "{oldSchemaVersion: 1}",
        CompatibilityChecker.problems(BACKWARD_TRANSITIVE, POINT, history).get(1));
    assertTrue(!CompatibilityChecker.problems(FULL_TRANSITIVE, POINT, history).isEmpty());

    // v1 {x, y}, v2 {x, y default 0}, candidate {x}: old v2 readers default y, v1 readers cannot.
    List<RegisteredSchema> forwardHistory = List.of(version(1, POINT), version(2, v2));
    assertTrue(CompatibilityChecker.problems(FORWARD, v1, forwardHistory).isEmpty());
    assertEquals(
        "{oldSchemaVersion: 1}",
        CompatibilityChecker.problems(FORWARD_TRANSITIVE, v1, forwardHistory).get(1));
  }

  @Test
  void shouldDescribeProblemsAsConfluentDoes() {
    List<String> backward =
        CompatibilityChecker.problems(BACKWARD, ADD_WITHOUT_DEFAULT, List.of(version(3, POINT)));
    List<String> forward =
        CompatibilityChecker.problems(FORWARD, REMOVE_Y, List.of(version(3, POINT)));

    assertEquals(
        List.of(
            "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'z' at path"
                + " '/fields/2' in the new schema has no default value and is missing in the old"
                + " schema', additionalInfo:'z'}",
            "{oldSchemaVersion: 3}",
            "{oldSchema: '" + POINT + "'}",
            "{compatibility: 'BACKWARD'}"),
        backward);
    assertEquals(
        "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'y' at path"
            + " '/fields/1' in the old schema has no default value and is missing in the new"
            + " schema', additionalInfo:'y'}",
        forward.get(0));
    assertEquals(
        "{errorType:'TYPE_MISMATCH', description:'The type (path '/fields/1/type') of a field in"
            + " the new schema does not match with the old schema', additionalInfo:'reader type:"
            + " STRING not compatible with writer type: INT'}",
        CompatibilityChecker.problems(BACKWARD, CHANGE_Y_TYPE, List.of(version(1, POINT))).get(0));
  }

  @Test
  void shouldAcceptAnythingForANewSubject() {
    assertTrue(CompatibilityChecker.problems(FULL_TRANSITIVE, RENAME_Y, List.of()).isEmpty());
  }

  @Test
  void shouldParseLevelNamesInAnyCase() {
    assertEquals(Optional.of(FULL_TRANSITIVE), CompatibilityLevel.forName(" full_transitive"));
    assertEquals(Optional.empty(), CompatibilityLevel.forName("SIDEWAYS"));
    assertEquals(Optional.empty(), CompatibilityLevel.forName(null));
    assertEquals(BACKWARD, CompatibilityLevel.DEFAULT);
  }

  /** The levels under which {@code candidate} may follow {@code earlier}. */
  private static Set<CompatibilityLevel> accepting(Schema earlier, Schema candidate) {
    Set<CompatibilityLevel> levels = EnumSet.noneOf(CompatibilityLevel.class);
    for (CompatibilityLevel level : CompatibilityLevel.values()) {
      if (CompatibilityChecker.problems(level, candidate, List.of(version(1, earlier))).isEmpty()) {
        levels.add(level);
      }
    }
    return levels;
  }

  private static RegisteredSchema version(int number, Schema schema) {
    return new RegisteredSchema("points-value", number, number, schema);
  }

  private static String y() {
    return "{\"name\":\"y\",\"type\":\"int\"}";
  }

  private static Schema point(String... fields) {
    List<String> all = new ArrayList<>(List.of(fields));
    return AvroSchemas.parse(
        "{\"type\":\"record\",\"name\":\"Point\",\"namespace\":\"geo\",\"fields\":["
            + String.join(",", all)
            + "]}");
  }
}
