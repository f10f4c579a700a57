package io.streamtrain.app;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.cli.Main;
import io.streamtrain.data.LabeledImages;
import io.streamtrain.model.ModelSpec;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.Prediction;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An ImageFolder of RGB PNGs of mixed sizes, end to end through the commands: produce, replay,
 * train a small CNN with resize and normalisation (and a seeded flip), then {@code predict --image}
 * names the class by its folder name, from the snapshot's transforms and class names.
 */
class ImageFolderTransformsIT {
  private static final String[] CLASSES = {"blue", "green", "red"};
  private static final String ARCHITECTURE = "cnn:3x32x32-c8-c16-3";
  private static final String TRANSFORMS =
      "resize:32x32,hflip,normalize:0.5/0.5/0.5:0.25/0.25/0.25";
  private static Scenario scenario;

  @BeforeAll
  static void start() {
    scenario = Scenario.embedded();
    scenario.createTopics();
  }

  @AfterAll
  static void stop() {
    scenario.close();
  }

  /** Runs {@code streamtrain <args>} in this JVM; returns exit code, stdout and stderr. */
  private static String[] run(List<String> args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
    try {
      int code = Main.run(args.toArray(String[]::new));
      return new String[] {
        String.valueOf(code),
        stdout.toString(StandardCharsets.UTF_8).strip(),
        stderr.toString(StandardCharsets.UTF_8).strip()
      };
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  private static List<String> connection() {
    return List.of(
        "--bootstrap",
        scenario.bootstrap(),
        "--registry",
        scenario.registryUrl(),
        "--topic-prefix",
        scenario.topicPrefix());
  }

  private static List<String> command(String name, List<String> args) {
    List<String> all = new ArrayList<>(List.of(name));
    all.addAll(args);
    return all;
  }

  /** A PNG of class {@code label}: its colour dominant, with noise, of the given size. */
  private static void writeImage(Path file, int label, int height, int width, Random random) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int[] rgb = new int[3];
        for (int c = 0; c < 3; c++) {
          rgb[c] = c == 2 - label ? 150 + random.nextInt(100) : random.nextInt(90);
        }
        image.setRGB(x, y, (rgb[0] << 16) | (rgb[1] << 8) | rgb[2]);
      }
    }
    try {
      Files.createDirectories(file.getParent());
      ImageIO.write(image, "png", file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void shouldTrainOnAnImageFolderOfMixedSizesAndNameTheClassOfANewImage() throws Exception {
    assertEquals(ARCHITECTURE, ModelSpec.parse(ARCHITECTURE).toString());
    Path folder = scenario.newDir("imagefolder");
    Random random = new Random(15);
    for (int i = 0; i < 240; i++) {
      int label = i % 3;
      writeImage(
          folder.resolve(CLASSES[label]).resolve("img" + i + ".png"),
          label,
          20 + random.nextInt(41),
          20 + random.nextInt(41),
          random);
    }

    List<String> produce = new ArrayList<>(connection());
    produce.addAll(List.of("--data", folder.toString(), "--split", "train"));
    String[] produced = run(command("produce", produce));
    assertEquals("0", produced[0], produced[2]);

    List<String> replay = new ArrayList<>(connection());
    replay.addAll(List.of("--epochs", "3"));
    String[] replayed = run(command("replay", replay));
    assertEquals("0", replayed[0], replayed[2]);

    String model = "folder-cnn";
    List<String> train = new ArrayList<>(List.of("--epochs", "3"));
    train.addAll(
        scenario.commandLine(
            model,
            scenario.newDir("state"),
            Map.of(
                "architecture", ARCHITECTURE,
                "transforms", TRANSFORMS,
                "batch-size", "16",
                "shuffle-window", "240",
                "lr", "0.01",
                "lr-decay", "1")));
    String[] trained = run(command("train", train));
    assertEquals("0", trained[0], trained[2]);

    List<ModelSnapshot> snapshots = scenario.snapshots(model);
    ModelSnapshot last = snapshots.get(snapshots.size() - 1);
    assertEquals(TRANSFORMS, last.getTransforms(), "the snapshot carries the transforms");
    assertEquals(List.of(CLASSES), last.getClassNames(), "and the folder names by label");
    assertEquals(ARCHITECTURE, last.getArchitecture());

    List<String> resume = new ArrayList<>(List.of("--epochs", "4"));
    resume.addAll(
        scenario.commandLine(
            model,
            scenario.newDir("state"),
            Map.of("architecture", ARCHITECTURE, "transforms", "resize:32x32")));
    String[] refused = run(command("train", resume));
    assertEquals("1", refused[0], refused[2]);
    assertEquals(1, refused[2].lines().count(), refused[2]);
    assertTrue(
        refused[2].contains("was trained with --transforms '" + TRANSFORMS + "'")
            && refused[2].contains("but --transforms is 'resize:32x32'"),
        refused[2]);

    Path samples = scenario.newDir("samples");
    List<LabeledImage> requests = new ArrayList<>();
    for (int label = 0; label < 3; label++) {
      Path one = samples.resolve(CLASSES[label] + ".png");
      writeImage(one, label, 47, 23, new Random(100 + label));
      requests.add(LabeledImages.fromFile(one));
      List<String> predict = new ArrayList<>(connection());
      predict.addAll(List.of("--model-name", model, "--image", one.toString()));
      String[] predicted = run(command("predict", predict));
      assertEquals("0", predicted[0], predicted[2]);
      assertTrue(
          predicted[1].startsWith("Predicted: \"" + CLASSES[label] + "\""),
          "a 47x23 " + CLASSES[label] + " image: " + predicted[1]);
    }

    // The prediction application, configured with the default architecture: it serves the
    // snapshot's model with the snapshot's input shape, transforms and names.
    Pipeline serving = new Pipeline(scenario.settings(model, scenario.newDir("serving"), Map.of()));
    try (PredictionRun run =
        new PredictionRun(
            serving, new PredictionRun.Options(64, Duration.ofMillis(5), false, "folder-it"))) {
      run.start(Duration.ofSeconds(60));
      scenario.produce(serving.names().imagesInfer(), requests);
      Deserializer<Prediction> predictions = serving.serde(Prediction.class).deserializer();
      Map<String, String> named = new HashMap<>();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                run.throwIfFailed();
                for (ConsumerRecord<byte[], byte[]> r :
                    scenario.readAll(serving.names().predictions())) {
                  Prediction p = predictions.deserialize(r.topic(), r.value());
                  named.put(p.getId(), p.getClassName());
                }
                return named.size() >= 3;
              });
      for (int label = 0; label < 3; label++) {
        assertEquals(CLASSES[label], named.get(requests.get(label).getId()), named.toString());
      }
    }
  }

  @Test
  void shouldRefuseTransformsTheArchitectureCannotTakeBeforeConsumingAnything() {
    String model = "refused-transforms";
    List<String> train = new ArrayList<>(List.of("--epochs", "1"));
    train.addAll(
        scenario.commandLine(
            model,
            scenario.newDir("state"),
            Map.of("architecture", "mlp:784-512-512-10", "transforms", "resize:32x32,rgb")));
    String[] refused = run(command("train", train));

    assertEquals("1", refused[0]);
    String line = refused[2];
    assertEquals(1, line.lines().count(), line);
    assertTrue(line.contains("32x32x3") && line.contains("28x28x1"), line);
    assertTrue(scenario.snapshots(model).isEmpty(), "nothing trained");
  }
}
