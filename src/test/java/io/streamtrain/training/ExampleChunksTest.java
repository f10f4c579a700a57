package io.streamtrain.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ExampleChunksTest {
  private static final int EXAMPLE = 785; // a label and 28x28 pixels
  private static final int PER_CHUNK = ExampleChunks.CHUNK_BYTES / EXAMPLE;

  @Test
  void shouldGiveBackEveryExampleAcrossChunkBoundaries() {
    ExampleChunks examples = new ExampleChunks.Pool(EXAMPLE, 1 << 20).newWindow();
    int n = 2 * PER_CHUNK + 3;
    for (int i = 0; i < n; i++) {
      examples.add(example(i));
    }
    assertEquals(n, examples.size());
    for (int i : new int[] {0, PER_CHUNK - 1, PER_CHUNK, 2 * PER_CHUNK + 2}) {
      byte[] chunk = examples.chunkOf(i);
      int offset = examples.offsetOf(i);
      assertEquals(
          Arrays.toString(example(i)),
          Arrays.toString(Arrays.copyOfRange(chunk, offset, offset + EXAMPLE)),
          "example " + i);
    }
    assertNotSame(examples.chunkOf(PER_CHUNK - 1), examples.chunkOf(PER_CHUNK));
  }

  @Test
  void shouldReuseTheChunksOfAReleasedWindow() {
    ExampleChunks.Pool pool = new ExampleChunks.Pool(EXAMPLE, 1 << 20);
    ExampleChunks first = pool.newWindow();
    first.add(example(1));
    byte[] chunk = first.chunkOf(0);
    first.release();
    assertEquals(1, pool.freeChunks());

    ExampleChunks second = pool.newWindow();
    second.add(example(2));
    assertSame(chunk, second.chunkOf(0));
    assertEquals(0, pool.freeChunks());
    assertEquals(2, second.chunkOf(0)[second.offsetOf(0)]);
  }

  @Test
  void shouldKeepNoMoreReturnedChunksThanItsBound() {
    ExampleChunks.Pool pool = new ExampleChunks.Pool(EXAMPLE, 2L * PER_CHUNK * EXAMPLE);
    ExampleChunks window = pool.newWindow();
    for (int i = 0; i < 5 * PER_CHUNK; i++) {
      window.add(example(i));
    }
    window.release();
    assertEquals(2, pool.freeChunks());
  }

  @Test
  void shouldRefuseAnExampleOfAnotherSize() {
    ExampleChunks window = new ExampleChunks.Pool(EXAMPLE, 1 << 20).newWindow();
    assertThrows(IllegalArgumentException.class, () -> window.add(new byte[EXAMPLE - 1]));
  }

  private static byte[] example(int i) {
    byte[] b = new byte[EXAMPLE];
    b[0] = (byte) i;
    for (int p = 1; p < EXAMPLE; p++) {
      b[p] = (byte) (i * 31 + p);
    }
    return b;
  }
}
