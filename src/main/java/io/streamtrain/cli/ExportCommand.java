package io.streamtrain.cli;

import io.streamtrain.app.Pipeline;
import io.streamtrain.config.Settings;
import io.streamtrain.kafka.Brokers;
import io.streamtrain.model.StateDictFiles;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.snapshots.Resume;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description =
        "Write a snapshot from model.snapshots (the newest, or --snapshot-version V) as a state"
            + " dict file: .pth (torch.save's format, PyTorch's key names), .safetensors, or DJL"
            + " .params; the format comes from the extension.",
    footer = {
      "",
      "Examples:",
      "  streamtrain export --out model.pth",
      "  streamtrain export --out model.safetensors --snapshot-version 4690",
      "  python3 -c 'import torch; print(torch.load(\"model.pth\", weights_only=True).keys())'"
    })
final class ExportCommand implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "FILE",
      description = "Where to write: FILE.pth, FILE.safetensors or FILE.params.")
  Path out;

  @Option(
      names = "--snapshot-version",
      paramLabel = "V",
      description = "This version instead of the newest.")
  Long version;

  @Override
  public Integer call() {
    Settings settings = common.settings();
    Brokers.awaitReachable(settings.adminProps(), Duration.ofSeconds(30));
    Pipeline pipeline = new Pipeline(settings);
    Resume resume = version == null ? Resume.latest() : Resume.version(version);
    ModelSnapshot snapshot =
        pipeline.requireSnapshot(resume, " (train one first: streamtrain train)");
    StateDictFiles.save(snapshot, out);
    System.err.printf(
        "Wrote version %d of %s (%s) to %s%n",
        snapshot.getVersion(), settings.modelName(), snapshot.getArchitecture(), out);
    return 0;
  }
}
