package io.streamtrain.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.schema.NamedTensor;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PickleReaderTest {
  /** Concatenates opcodes given as ints and strings (ISO-8859-1, so "\u0080" is byte 0x80). */
  static byte[] pickle(Object... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Object part : parts) {
      if (part instanceof Integer b) {
        out.write(b);
      } else {
        out.writeBytes(((String) part).getBytes(StandardCharsets.ISO_8859_1));
      }
    }
    return out.toByteArray();
  }

  private static String refusal(byte[] bytes) {
    return assertThrows(PickleReader.PickleException.class, () -> PickleReader.read(bytes))
        .getMessage();
  }

  @Test
  void shouldReadTheStateDictThatPickleWriterWrites() {
    NamedTensor weight = Tensors.float32("w", new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6});
    NamedTensor count = Tensors.int64Scalar("n", 7);
    Object top = PickleReader.read(PickleWriter.stateDict(List.of(weight, count)));
    Map<?, ?> dict = (Map<?, ?>) top;
    assertEquals(List.of("w", "n"), List.copyOf(dict.keySet()));
    PickleReader.TensorRef w = (PickleReader.TensorRef) dict.get("w");
    assertEquals(new PickleReader.Storage("0", "float32", 6), w.storage());
    assertArrayEquals(new long[] {2, 3}, w.size());
    assertArrayEquals(new long[] {3, 1}, w.stride());
    PickleReader.TensorRef n = (PickleReader.TensorRef) dict.get("n");
    assertEquals(new PickleReader.Storage("1", "int64", 1), n.storage());
    assertEquals(0, n.size().length);
  }

  @Test
  void shouldRefuseTheOsSystemGlobalBeforeAnythingElse() {
    // What pickle.dumps of a class whose __reduce__ returns (os.system, ("echo pwned",)) holds.
    String message =
        refusal(
            pickle(0x80, 2, "cposix\nsystem\nq\u0000X", 10, 0, 0, 0, "echo pwnedq\u0001\u0085R."));
    assertTrue(message.contains("posix.system"), message);
    assertTrue(message.contains("refusing"), message);
    assertFalse(message.contains("\n"), message);
  }

  @Test
  void shouldRefuseBuiltinsEvalThroughGlobalAndStackGlobal() {
    String viaGlobal = refusal(pickle(0x80, 2, "cbuiltins\neval\n)R."));
    assertTrue(viaGlobal.contains("builtins.eval"), viaGlobal);
    String viaStack = refusal(pickle(0x80, 4, 0x8c, 8, "builtins", 0x8c, 4, "exec", 0x93, ")R."));
    assertTrue(viaStack.contains("builtins.exec"), viaStack);
  }

  @Test
  void shouldRefuseOpcodesAStateDictNeverUses() {
    // NEWOBJ on an allowed class, and INST which names a class inline.
    String newobj = refusal(pickle(0x80, 2, "ccollections\nOrderedDict\n)", 0x81, "."));
    assertTrue(newobj.contains("0x81"), newobj);
    String inst = refusal(pickle("(ios\nsystem\n."));
    assertTrue(inst.contains("0x69"), inst);
  }

  @Test
  void shouldRefuseCallingAStorageType() {
    String message = refusal(pickle(0x80, 2, "ctorch\nFloatStorage\n)R."));
    assertTrue(message.contains("calling torch.FloatStorage"), message);
  }

  @Test
  void shouldRefuseAPersistentIdThatIsNotAStorage() {
    String message = refusal(pickle(0x80, 2, "X", 3, 0, 0, 0, "abcQ."));
    assertTrue(message.contains("persistent id"), message);
  }

  @Test
  void shouldReportTruncationAndStackMisuse() {
    byte[] full = PickleWriter.stateDict(List.of(Tensors.int64Scalar("n", 1)));
    for (int cut : new int[] {1, 3, 20, full.length - 1}) {
      byte[] truncated = java.util.Arrays.copyOf(full, cut);
      String message = refusal(truncated);
      assertTrue(message.contains("truncated") || message.contains("stack"), message);
    }
    assertTrue(refusal(pickle(0x80, 2, "s.")).contains("empty stack"));
    assertTrue(refusal(pickle(0x80, 2, "h", 5, ".")).contains("memo 5"));
  }
}
