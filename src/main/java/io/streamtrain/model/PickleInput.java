package io.streamtrain.model;

import io.streamtrain.model.PickleReader.PickleException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The bytes of a pickle, read as its opcodes' arguments (little-endian integers, big-endian floats,
 * UTF-8 strings, GLOBAL's text lines); a pickle that ends too early fails with a {@link
 * PickleException}.
 */
final class PickleInput {
  private final ByteBuffer in;

  PickleInput(byte[] pickle) {
    this.in = ByteBuffer.wrap(pickle).order(ByteOrder.LITTLE_ENDIAN);
  }

  boolean hasRemaining() {
    return in.hasRemaining();
  }

  int position() {
    return in.position();
  }

  long i32() {
    need(4);
    return in.getInt();
  }

  long u16() {
    need(2);
    return in.getShort() & 0xffff;
  }

  /** A BINFLOAT's value, the one big-endian number of a pickle. */
  double float64() {
    return ByteBuffer.wrap(bytes(8)).getDouble();
  }

  int u8() {
    need(1);
    return in.get() & 0xff;
  }

  long u32() {
    need(4);
    return in.getInt() & 0xffffffffL;
  }

  long long1() {
    int n = u8();
    if (n > 8) {
      throw new PickleException("an integer of " + n + " bytes is too large for a state dict");
    }
    byte[] bytes = bytes(n);
    long value = 0;
    for (int i = n - 1; i >= 0; i--) {
      value = (value << 8) | (bytes[i] & 0xff);
    }
    if (n > 0 && n < 8 && bytes[n - 1] < 0) {
      value -= 1L << (8 * n); // two's complement sign
    }
    return value;
  }

  byte[] bytes(long n) {
    need(n);
    byte[] bytes = new byte[(int) n];
    in.get(bytes);
    return bytes;
  }

  String utf8(int n) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes(n)))
          .toString();
    } catch (CharacterCodingException e) {
      throw new PickleException("the pickle holds a string that is not UTF-8");
    }
  }

  String line() {
    StringBuilder text = new StringBuilder();
    while (true) {
      need(1);
      byte b = in.get();
      if (b == '\n') {
        return text.toString();
      }
      if (b < 0x20 || b > 0x7e || text.length() > 200) {
        throw new PickleException("GLOBAL with a malformed name");
      }
      text.append((char) b);
    }
  }

  void need(long n) {
    if (n < 0 || in.remaining() < n) {
      throw new PickleException("the pickle ends in the middle of a value (truncated)");
    }
  }
}
