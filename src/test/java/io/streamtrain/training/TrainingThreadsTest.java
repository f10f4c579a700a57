package io.streamtrain.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Thread priorities on Linux. Lowering is one-way for an unprivileged process, so the whole story
 * is one test: this JVM's threads stay lowered afterwards, which changes nothing among themselves.
 */
class TrainingThreadsTest {

  @Test
  void shouldLowerTheFeederAndEveryOtherThreadOnlyForAFavouredTrainingThread() throws Exception {
    assumeTrue(Files.isDirectory(Path.of("/proc/thread-self")), "Linux only");
    int original = ownNice();
    assumeTrue(original + TrainingThreads.NICE_STEP <= 19, "already at the lowest priority");
    Bystander bystander = new Bystander();

    // Not favoured: nobody's priority changes.
    assertEquals(original, niceOnThread(false));
    assertEquals(original, ownNice());
    assertEquals(original, bystander.nice());

    // Favoured: it keeps the priority, this thread (its feeder) gets 4 more, the others 10 more.
    assertEquals(original, niceOnThread(true));
    assertEquals(original + TrainingThreads.FEEDER_STEP, ownNice());
    assertEquals(original + TrainingThreads.NICE_STEP, bystander.nice());

    // A thread created by a lowered thread inherits the lower priority...
    assertEquals(original + TrainingThreads.FEEDER_STEP, niceOnThread(false));
    // ...but a favoured one started from it is back at the original: the spawner made it.
    assertEquals(original, niceOnThread(true));
    bystander.stop();
  }

  /** Starts a training thread and returns its nice value, read on the thread while it runs. */
  private static int niceOnThread(boolean favoured) throws Exception {
    CompletableFuture<Integer> nice = new CompletableFuture<>();
    CountDownLatch release = new CountDownLatch(1);
    Thread thread =
        TrainingThreads.start(
            () -> {
              try {
                nice.complete(ownNice());
                release.await();
              } catch (Exception e) {
                nice.completeExceptionally(e);
              }
            },
            "test-training",
            favoured);
    try {
      return nice.get(10, TimeUnit.SECONDS);
    } finally {
      release.countDown();
      thread.join(10_000);
    }
  }

  /** A thread that is neither training nor feeding, reading its own nice value when asked. */
  private static final class Bystander {
    private final BlockingQueue<Boolean> asks = new LinkedBlockingQueue<>();
    private final SynchronousQueue<Integer> answers = new SynchronousQueue<>();
    private final Thread thread =
        new Thread(
            () -> {
              try {
                while (asks.take()) {
                  answers.put(ownNice());
                }
              } catch (Exception e) {
                Thread.currentThread().interrupt();
              }
            },
            "test-bystander");

    Bystander() {
      thread.setDaemon(true);
      thread.start();
    }

    int nice() throws InterruptedException {
      asks.put(true);
      Integer nice = answers.poll(10, TimeUnit.SECONDS);
      return nice == null ? -100 : nice;
    }

    void stop() throws InterruptedException {
      asks.put(false);
      thread.join(10_000);
    }
  }

  private static int ownNice() throws Exception {
    String stat = Files.readString(Path.of("/proc/thread-self/stat"));
    return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]);
  }
}
