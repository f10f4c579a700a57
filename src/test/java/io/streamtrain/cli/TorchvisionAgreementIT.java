package io.streamtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamtrain.data.FashionMnist;
import io.streamtrain.testing.Python;
import io.streamtrain.testing.TorchScripts;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * torchvision's ResNet-18, scripted, trained by {@code demo} on real Fashion-MNIST through {@code
 * --transforms resize:32x32,rgb,normalize:...}: the exported .pth loads into torchvision's own
 * class (strict) and PyTorch's test loop, with the same transforms, measures the accuracy
 * streamtrain measured. A small subset keeps it to a few minutes; the longer run's figures are in
 * docs/torchscript.md.
 */
class TorchvisionAgreementIT {
  private static final Path DATA = Path.of("/usr/share/datasets/fashion-mnist");
  private static final String MEAN = "0.2860";
  private static final String STD = "0.3530";
  @TempDir Path dir;

  @Test
  void shouldMeasureTheSameTestAccuracyAsTorchvisionsOwnClassLoadingTheExport() throws Exception {
    assumeTrue(
        FashionMnist.findFiles(DATA).isPresent(),
        "needs Debian's dataset-fashion-mnist (installed by .ci/run)");
    TorchScripts.assumeTorch();
    assumeTrue(
        Python.imports(Duration.ofSeconds(120), "torchvision"),
        Python.PATH + " cannot import torchvision (apt-get install python3-torchvision)");
    Path module = TorchScripts.make(dir, "resnet18");
    Path saved = dir.resolve("model.pth");
    CommandLine.Result r =
        CommandLine.run(
            "demo",
            "--architecture",
            "torchscript:" + module,
            "--input-shape",
            "3x32x32",
            "--transforms",
            "resize:32x32,rgb,normalize:" + MEAN + ":" + STD,
            "--optimizer",
            "adam",
            "--lr",
            "0.001",
            "--epochs",
            "1",
            "--limit",
            "2048",
            // One snapshot at the window's end: ResNet-18 with Adam is 134 MB of chunks each.
            "--snapshot-every",
            "100000",
            "--snapshot-seconds",
            "100000",
            "--json",
            "--data",
            DATA.toString(),
            "--save",
            saved.toString());
    assertEquals(0, r.exitCode(), r.err());
    String json =
        r.out().lines().filter(l -> l.startsWith("{\"epochs\"")).findFirst().orElseThrow();
    JsonNode epochs = new ObjectMapper().readTree(json).get("epochs");
    assertEquals(1, epochs.size());
    double streamtrain = epochs.get(0).get("accuracy").asDouble();
    // 32 Adam steps: well above the 10 % of a model that predicts one class.
    assertTrue(streamtrain >= 0.40, "streamtrain's test accuracy: " + streamtrain);

    String out =
        TorchScripts.run(
            dir, "check", "resnet18", saved.toString(), DATA.toString(), MEAN, STD, "32");
    double pytorch =
        Double.parseDouble(
            out.lines()
                .filter(l -> l.startsWith("accuracy="))
                .findFirst()
                .orElseThrow(() -> new AssertionError(out))
                .substring("accuracy=".length()));
    assertEquals(
        streamtrain,
        pytorch,
        0.002,
        "torchvision's resnet18 with the exported state dict, evaluated by PyTorch");
    System.err.printf("test accuracy: streamtrain %.4f, PyTorch %.4f%n", streamtrain, pytorch);
  }
}
