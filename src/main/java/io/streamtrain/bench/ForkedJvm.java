package io.streamtrain.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a command line of this jar in a child JVM with the JVM options a measurement needs, as JMH
 * forks its benchmarks: {@code java -jar} cannot carry them. The child's output goes to this
 * process's {@link System#out} and {@link System#err}, and its exit code is returned.
 */
public final class ForkedJvm {
  /** Set in the child, so that it runs the command instead of forking again. */
  public static final String CHILD_PROPERTY = "streamtrain.forked";

  private ForkedJvm() {}

  public static boolean isChild() {
    return Boolean.getBoolean(CHILD_PROPERTY);
  }

  /**
   * @param mainClass the class whose {@code main} runs the command line in the child
   * @param jvmOptions options of the child, after this JVM's own {@code -D} system properties
   * @param args the command line, as {@code mainClass} takes it
   */
  public static int run(String mainClass, List<String> jvmOptions, List<String> args)
      throws InterruptedException {
    List<String> options = new ArrayList<>(jvmOptions);
    options.add("-D" + CHILD_PROPERTY + "=true");
    List<String> command = javaCommand(options, mainClass);
    command.addAll(args);
    Process child;
    try {
      child = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.INHERIT).start();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start a JVM: " + command.get(0), e);
    }
    Thread out = copy(child.getInputStream(), System.out, "stdout");
    Thread err = copy(child.getErrorStream(), System.err, "stderr");
    Thread stopChild = new Thread(child::destroy, "streamtrain-stop-forked-jvm");
    Runtime.getRuntime().addShutdownHook(stopChild); // Ctrl-C stops the child too
    try {
      int code = child.waitFor();
      out.join();
      err.join();
      return code;
    } finally {
      child.destroy();
      try {
        Runtime.getRuntime().removeShutdownHook(stopChild);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs or has run
      }
    }
  }

  /**
   * {@code java} of this JVM running {@code mainClass} on this JVM's class path, with this JVM's
   * own {@code -D} system properties and then {@code jvmOptions}.
   */
  static List<String> javaCommand(List<String> jvmOptions, String mainClass) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String option : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (option.startsWith("-D")) {
        command.add(option);
      }
    }
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass);
    return command;
  }

  private static Thread copy(InputStream from, OutputStream to, String name) {
    Thread t =
        new Thread(
            () -> {
              byte[] buffer = new byte[8192];
              try {
                int n;
                while ((n = from.read(buffer)) >= 0) {
                  to.write(buffer, 0, n);
                  to.flush(); // progress lines show as they come
                }
              } catch (IOException e) {
                // the child is gone; its exit code tells the rest
              }
            },
            "streamtrain-forked-" + name);
    t.setDaemon(true);
    t.start();
    return t;
  }
}
