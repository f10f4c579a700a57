package io.streamtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code bench --predict --live-rate}: a flag combination it cannot measure is refused with one
 * line, before a broker or a model starts.
 */
class BenchLiveRateOptionsTest {
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "--live-rate 100                          | --live-rate goes with --predict",
        "--live --live-rate 100                   | --live-rate goes with --predict",
        "--predict --live-rate 0                  | --live-rate must be > 0 labeled events/s",
        "--predict --live-rate -5                 | --live-rate must be > 0 labeled events/s",
        "--predict --live-rate 100 --train        | --live-rate and --train each add a trainer",
        "--predict --live-rate 100 --find-max     | drop --find-max",
      })
  void shouldRefuseWithOneLine(String args, String expected) {
    String[] argv = ("bench " + args.strip()).split(" +");
    CommandLine.Result r = CommandLine.run(argv);
    assertNotEquals(0, r.exitCode(), r.err());
    String[] lines = r.err().strip().split("\n");
    assertEquals(1, lines.length, "one line: " + r.err());
    assertTrue(lines[0].startsWith("streamtrain: "), r.err());
    assertTrue(lines[0].contains(expected), "expected '" + expected + "' in: " + lines[0]);
    assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    assertFalse(r.err().contains("Embedded Kafka"), "refused before a broker started");
  }
}
