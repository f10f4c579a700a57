package io.streamtrain.training;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts training threads and, on Linux, lets them run first when the cores are oversubscribed.
 *
 * <p>Everything else in a trainer's process serves the training thread: the stream thread polling
 * and decoding the feed, the embedded broker and replay of {@code demo} and {@code bench}, the JIT
 * compiler. On 2 cores the training thread otherwise waits for a core for a good part of an epoch
 * (docs/benchmarks.md has the measurement). A favoured training thread keeps its nice value; the
 * thread that starts it, the stream thread feeding it, gets {@link #FEEDER_STEP} more and every
 * other thread {@link #NICE_STEP} more (as {@code renice} would do), but the garbage collector's,
 * which every Java thread waits for in a pause. The lowered threads still get every cycle the
 * trainer does not use. With the feeder lowered as far as the rest, bench's ratio was as good but
 * the feed came in a whole epoch later, and G1 grew the heap then, after the first epoch instead of
 * during it.
 *
 * <p>Threads inherit their creator's nice value, so training threads are created by one spawner
 * thread that is never lowered: a trainer restarted in the same process is favoured again.
 * Elsewhere than Linux, or where the calls are refused, threads start normally.
 */
final class TrainingThreads {
  private static final Logger LOG = LoggerFactory.getLogger(TrainingThreads.class);

  /** Added to the training thread's nice value for the other threads; 19 is the lowest. */
  static final int NICE_STEP = 10;

  /** Added to the training thread's nice value for the thread feeding it. */
  static final int FEEDER_STEP = 4;

  private static final int PRIO_PROCESS = 0;
  private static final Path TASKS = Path.of("/proc/self/task");

  /** The JVM's garbage collector and safepoint threads: every Java thread waits for them. */
  private static final List<String> COLLECTOR_THREADS =
      List.of("GC Thread", "G1 ", "VM Thread", "VM Periodic", "Z", "Shenandoah");

  /** Native thread ids lowered by no more than their own step: trainers, feeders, the spawner. */
  private static final Set<Integer> KEPT = ConcurrentHashMap.newKeySet();

  private static final LinkedBlockingQueue<Request> REQUESTS = new LinkedBlockingQueue<>();
  private static Thread spawner;
  private static volatile boolean warned;

  private record Request(Runnable body, String name, CompletableFuture<Thread> started) {}

  /** The subset of libc used here. */
  interface CLibrary extends Library {
    int setpriority(int which, int who, int prio);
  }

  private TrainingThreads() {}

  /**
   * Starts a daemon thread running {@code body}. When {@code favoured}, the thread first lowers the
   * priority of the calling thread, its feeder, and of every other thread of the process (see the
   * class comment).
   */
  static Thread start(Runnable body, String name, boolean favoured) {
    if (!favoured || !Files.isDirectory(TASKS)) {
      Thread thread = new Thread(body, name);
      thread.setDaemon(true);
      thread.start();
      return thread;
    }
    int feeder = ownThreadId();
    Runnable favouredBody =
        () -> {
          int tid = ownThreadId();
          if (tid > 0) {
            KEPT.add(tid);
            if (feeder > 0) {
              KEPT.add(feeder);
            }
            lower(tid, feeder);
          }
          try {
            body.run();
          } finally {
            KEPT.remove(tid);
            KEPT.remove(feeder);
          }
        };
    CompletableFuture<Thread> started = new CompletableFuture<>();
    ensureSpawner();
    REQUESTS.add(new Request(favouredBody, name, started));
    try {
      return started.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while starting " + name, e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("Could not start " + name, e.getCause());
    }
  }

  private static synchronized void ensureSpawner() {
    if (spawner != null) {
      return;
    }
    spawner =
        new Thread(
            () -> {
              int tid = ownThreadId();
              if (tid > 0) {
                KEPT.add(tid);
              }
              while (true) {
                Request r;
                try {
                  r = REQUESTS.take();
                } catch (InterruptedException e) {
                  return;
                }
                // Completed, never handed over: a requester that gave up cannot block the spawner.
                try {
                  Thread thread = new Thread(r.body(), r.name());
                  thread.setDaemon(true);
                  thread.start();
                  r.started().complete(thread);
                } catch (RuntimeException | Error e) {
                  r.started().completeExceptionally(e);
                }
              }
            },
            "streamtrain-training-spawner");
    spawner.setDaemon(true);
    spawner.start();
  }

  /**
   * Gives the feeder {@link #FEEDER_STEP} and every other thread but the kept ones and the
   * collector's {@link #NICE_STEP} more than the training thread {@code tid}.
   */
  private static void lower(int tid, int feeder) {
    try {
      CLibrary libc = Native.load(Platform.C_LIBRARY_NAME, CLibrary.class);
      int base = nice(tid);
      if (feeder > 0 && nice(feeder) < base + FEEDER_STEP) {
        libc.setpriority(PRIO_PROCESS, feeder, Math.min(19, base + FEEDER_STEP));
      }
      int target = Math.min(19, base + NICE_STEP);
      int lowered = 0;
      try (DirectoryStream<Path> tasks = Files.newDirectoryStream(TASKS)) {
        for (Path task : tasks) {
          int other = Integer.parseInt(task.getFileName().toString());
          if (KEPT.contains(other) || isCollector(other) || nice(other) >= target) {
            continue;
          }
          if (libc.setpriority(PRIO_PROCESS, other, target) == 0) {
            lowered++;
          }
        }
      }
      LOG.info(
          "Training thread {} runs first: its feeder {} at nice {}, {} other threads at nice {}",
          tid,
          feeder,
          feeder > 0 ? nice(feeder) : base,
          lowered,
          target);
    } catch (IOException | RuntimeException | LinkageError e) {
      if (!warned) {
        warned = true;
        LOG.info("Training thread runs at the same priority as the others: {}", e.toString());
      }
    }
  }

  private static boolean isCollector(int tid) throws IOException {
    String name;
    try {
      name = Files.readString(TASKS.resolve(Integer.toString(tid)).resolve("comm"));
    } catch (java.nio.file.NoSuchFileException e) {
      return false;
    }
    return COLLECTOR_THREADS.stream().anyMatch(name::startsWith);
  }

  /** The calling thread's native id, from /proc/thread-self; -1 where there is none. */
  private static int ownThreadId() {
    try {
      Path self = Files.readSymbolicLink(Path.of("/proc/thread-self"));
      return Integer.parseInt(self.getFileName().toString());
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** A thread's nice value: field 19 of its stat line, counted after the command name. */
  private static int nice(int tid) throws IOException {
    String stat;
    try {
      stat = Files.readString(TASKS.resolve(Integer.toString(tid)).resolve("stat"));
    } catch (java.nio.file.NoSuchFileException e) {
      return 19; // the thread has ended: nothing to lower
    }
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Integer.parseInt(fields[16]);
  }
}
