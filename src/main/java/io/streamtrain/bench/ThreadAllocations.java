package io.streamtrain.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.util.Arrays;
import java.util.function.Predicate;

/**
 * Bytes allocated so far by the live threads whose names pass a filter, from the JVM's per-thread
 * allocation counters ({@link com.sun.management.ThreadMXBean#getThreadAllocatedBytes}). A thread
 * that ended between two samples takes its count with it, so a difference undercounts rather than
 * overcounts; the trainer's threads live for the whole run.
 */
final class ThreadAllocations {
  private ThreadAllocations() {}

  /** Whether this JVM counts allocations per thread; -1 from {@link #bytes} otherwise. */
  static boolean supported() {
    return ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean mx
        && mx.isThreadAllocatedMemorySupported()
        && mx.isThreadAllocatedMemoryEnabled();
  }

  /** The sum over the threads named as {@code names} accepts, or -1 where not supported. */
  static long bytes(Predicate<String> names) {
    if (!supported()) {
      return -1;
    }
    var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long[] ids = mx.getAllThreadIds();
    ThreadInfo[] infos = mx.getThreadInfo(ids, 0);
    long[] matching =
        Arrays.stream(infos)
            .filter(i -> i != null && names.test(i.getThreadName()))
            .mapToLong(ThreadInfo::getThreadId)
            .toArray();
    long sum = 0;
    for (long b : mx.getThreadAllocatedBytes(matching)) {
      if (b > 0) { // -1 for a thread that ended meanwhile
        sum += b;
      }
    }
    return sum;
  }
}
