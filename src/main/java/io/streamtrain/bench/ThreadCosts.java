package io.streamtrain.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.util.function.Predicate;

/**
 * What a group of threads has cost so far, from the JVM's per-thread counters: bytes allocated
 * ({@link com.sun.management.ThreadMXBean#getThreadAllocatedBytes}) and CPU time, split between the
 * threads a second filter picks (the training thread) and the rest. CPU time, unlike a clock, does
 * not count the time a thread waits for a core on a loaded machine. A thread that ended between two
 * samples takes its counts with it, so a difference undercounts rather than overcounts; the
 * trainer's threads live for the whole run.
 *
 * @param allocatedBytes all the group's threads; -1 where the JVM does not count allocations
 * @param cpuNanos the group's threads but those {@code apart} picks; -1 where not counted
 * @param apartCpuNanos the threads {@code apart} picks; -1 where not counted
 */
record ThreadCosts(long allocatedBytes, long cpuNanos, long apartCpuNanos) {

  /** The counts of the live threads {@code group} accepts, now. */
  static ThreadCosts sample(Predicate<String> group, Predicate<String> apart) {
    if (!(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean mx)) {
      return new ThreadCosts(-1, -1, -1);
    }
    boolean allocations =
        mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled();
    boolean cpu = mx.isThreadCpuTimeSupported() && mx.isThreadCpuTimeEnabled();
    long allocated = 0;
    long cpuNanos = 0;
    long apartNanos = 0;
    for (ThreadInfo info : mx.getThreadInfo(mx.getAllThreadIds(), 0)) {
      if (info == null || !group.test(info.getThreadName())) {
        continue; // null: the thread ended meanwhile
      }
      long id = info.getThreadId();
      allocated += Math.max(0, mx.getThreadAllocatedBytes(id));
      long nanos = Math.max(0, mx.getThreadCpuTime(id));
      if (apart.test(info.getThreadName())) {
        apartNanos += nanos;
      } else {
        cpuNanos += nanos;
      }
    }
    return new ThreadCosts(
        allocations ? allocated : -1, cpu ? cpuNanos : -1, cpu ? apartNanos : -1);
  }

  /** What the threads cost between {@code earlier} and this sample. */
  ThreadCosts since(ThreadCosts earlier) {
    return new ThreadCosts(
        delta(allocatedBytes, earlier.allocatedBytes),
        delta(cpuNanos, earlier.cpuNanos),
        delta(apartCpuNanos, earlier.apartCpuNanos));
  }

  private static long delta(long now, long before) {
    return now < 0 || before < 0 ? -1 : now - before;
  }

  static final ThreadCosts NOT_MEASURED = new ThreadCosts(-1, -1, -1);
}
