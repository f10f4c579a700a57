package io.streamtrain.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Thread priorities on Linux. Lowering is one-way for an unprivileged process, so the whole story
 * is one test: this JVM's threads stay lowered afterwards, which changes nothing among themselves.
 */
class TrainingThreadsTest {

  @Test
  void shouldLowerEveryOtherThreadOnlyForAFavouredTrainingThreadAndFavourLaterOnesAgain()
      throws Exception {
    assumeTrue(Files.isDirectory(Path.of("/proc/thread-self")), "Linux only");
    int original = ownNice();
    assumeTrue(original + TrainingThreads.NICE_STEP <= 19, "already at the lowest priority");

    // Not favoured: nobody's priority changes.
    assertEquals(original, niceOnThread(false));
    assertEquals(original, ownNice());

    // Favoured: it keeps the priority, this (the stream thread's stand-in) gets 10 more.
    assertEquals(original, niceOnThread(true));
    assertEquals(original + TrainingThreads.NICE_STEP, ownNice());

    // A thread created by a lowered thread inherits the lower priority...
    assertEquals(original + TrainingThreads.NICE_STEP, niceOnThread(false));
    // ...but a favoured one started from it is back at the original: the spawner made it.
    assertEquals(original, niceOnThread(true));
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

  private static int ownNice() throws Exception {
    String stat = Files.readString(Path.of("/proc/thread-self/stat"));
    return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]);
  }
}
