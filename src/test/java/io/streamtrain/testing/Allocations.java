package io.streamtrain.testing;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.function.Executable;

/** Bytes the current thread allocates, for the tests that bound what hostile input may cost. */
public final class Allocations {
  private Allocations() {}

  /** Bytes this thread has allocated so far (HotSpot's per-thread counter). */
  public static long allocatedBytes() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
        .getCurrentThreadAllocatedBytes();
  }

  /** The {@code type} failure of {@code action}, which must allocate under {@code bound} bytes. */
  public static <E extends Throwable> E refusedWithin(
      long bound, Class<E> type, Executable action) {
    long before = allocatedBytes();
    E e = assertThrows(type, action, "refused");
    long allocated = allocatedBytes() - before;
    assertTrue(allocated < bound, allocated + " bytes allocated: " + e.getMessage());
    return e;
  }
}
