package io.streamtrain.training;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A window's examples in arrival order, packed back to back in chunks that a {@link Pool} hands out
 * and takes back when the window is done.
 *
 * <p>Why: a window lives about an epoch, so its examples outlive young collections and reach the
 * old generation. As separate arrays per example they became old garbage every epoch, and G1 grew
 * the trainer's heap epoch after epoch to hold it (docs/benchmarks.md has the figures). Reused
 * chunks are promoted once and then stay.
 */
final class ExampleChunks {
  /** Small enough to be an ordinary object for G1 at any region size (1 MiB regions and up). */
  static final int CHUNK_BYTES = 256 << 10;

  private final Pool pool;
  private final List<byte[]> chunks = new ArrayList<>();
  private int count;

  private ExampleChunks(Pool pool) {
    this.pool = pool;
  }

  /** Copies one example, which must be exactly {@link Pool#exampleBytes} long. */
  void add(byte[] example) {
    if (example.length != pool.exampleBytes) {
      throw new IllegalArgumentException(
          "An example of " + example.length + " bytes in a pool of " + pool.exampleBytes);
    }
    int slot = count % pool.perChunk;
    if (slot == 0) {
      chunks.add(pool.take());
    }
    System.arraycopy(
        example, 0, chunks.get(chunks.size() - 1), slot * pool.exampleBytes, example.length);
    count++;
  }

  int size() {
    return count;
  }

  /** The chunk holding example {@code i}; it starts at {@link #offsetOf}. */
  byte[] chunkOf(int i) {
    return chunks.get(i / pool.perChunk);
  }

  int offsetOf(int i) {
    return (i % pool.perChunk) * pool.exampleBytes;
  }

  /** Gives the chunks back to the pool; this object must not be used afterwards. */
  void release() {
    pool.giveBack(chunks);
    chunks.clear();
    count = 0;
  }

  /** Chunks for examples of one size, keeping up to a bound of returned ones for later windows. */
  static final class Pool {
    private final int exampleBytes;
    private final int perChunk;
    private final long maxKeptChunks;
    private final ArrayDeque<byte[]> free = new ArrayDeque<>();

    /**
     * @param exampleBytes the size of every example
     * @param maxKeptBytes returned chunks beyond this are left to the garbage collector, so a burst
     *     does not hold memory for ever
     */
    Pool(int exampleBytes, long maxKeptBytes) {
      if (exampleBytes < 1) {
        throw new IllegalArgumentException("Examples must have a byte at least: " + exampleBytes);
      }
      this.exampleBytes = exampleBytes;
      this.perChunk = Math.max(1, CHUNK_BYTES / exampleBytes);
      this.maxKeptChunks = Math.max(1, maxKeptBytes / ((long) perChunk * exampleBytes));
    }

    ExampleChunks newWindow() {
      return new ExampleChunks(this);
    }

    /** Chunks waiting to be reused. */
    int freeChunks() {
      return free.size();
    }

    private byte[] take() {
      byte[] chunk = free.pollFirst();
      return chunk != null ? chunk : new byte[perChunk * exampleBytes];
    }

    private void giveBack(List<byte[]> chunks) {
      for (byte[] chunk : chunks) {
        if (free.size() >= maxKeptChunks) {
          return;
        }
        free.addFirst(chunk); // the most recently used first: likelier still in cache
      }
    }
  }
}
