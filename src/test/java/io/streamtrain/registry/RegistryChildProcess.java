package io.streamtrain.registry;

import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.Prediction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;

/**
 * A separate OS process for the ITs: registers a generated class's schema and prints its id.
 *
 * <p>{@code client URL SUBJECT CLASS} registers through the REST client; {@code store BOOTSTRAP
 * TOPIC SUBJECT CLASS} registers directly in a {@link KafkaSchemaStore} of its own.
 */
public final class RegistryChildProcess {
  private RegistryChildProcess() {}

  public static void main(String[] args) {
    Schema schema = schemaOf(args[args.length - 1]);
    String subject = args[args.length - 2];
    int id;
    if (args[0].equals("client")) {
      id = new RestSchemaRegistryClient(args[1], Map.of()).register(subject, schema);
    } else {
      Properties props = new Properties();
      props.put("bootstrap.servers", args[1]);
      try (KafkaSchemaStore store =
          new KafkaSchemaStore(props, args[2], (short) 1, Duration.ofSeconds(30))) {
        id = store.register(subject, schema).id();
      }
    }
    System.out.println(id);
  }

  static Schema schemaOf(String simpleName) {
    return AvroSchemas.withoutJavaProperties(
        simpleName.equals("Prediction")
            ? Prediction.getClassSchema()
            : LabeledImage.getClassSchema());
  }

  /** Starts this main in a new JVM on the test classpath. */
  static Process start(Path log, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(RegistryChildProcess.class.getName());
    command.addAll(List.of(args));
    return new ProcessBuilder(command).redirectError(log.toFile()).start();
  }

  /** Waits (bounded) for a started child and returns the id it printed. */
  static int awaitId(Process process, Path log) throws IOException, InterruptedException {
    if (!process.waitFor(90, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(
          "Child process did not finish within 90 s; log: " + Files.readString(log));
    }
    String out = new String(process.getInputStream().readAllBytes()).strip();
    if (process.exitValue() != 0) {
      throw new AssertionError(
          "Child process exited " + process.exitValue() + "; log: " + Files.readString(log));
    }
    String[] lines = out.split("\\R");
    return Integer.parseInt(lines[lines.length - 1].strip());
  }
}
