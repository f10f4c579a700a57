package io.streamtrain.cli;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Spec;

/**
 * Hyperparameter flags of the commands that train ({@code train}, {@code demo}, {@code bench});
 * unset ones come from the preset. One table: a flag's name is its setting's name in the properties
 * file and the environment (config.Training.Builder reads them), and {@link #addTo} gives each
 * command that mixes this in one picocli option per row.
 */
@Command // a mixin whose options addTo adds
final class TrainingOptions {
  /** A row of the table: a hidden row (null help) is an old spelling still accepted. */
  private record Flag(String name, Class<?> type, String label, String help) {}

  private static final List<Flag> FLAGS =
      List.of(
          new Flag(
              "--preset",
              String.class,
              "NAME",
              "reference (the PyTorch quickstart: SGD lr=1e-3, default), good (Adam lr=1e-3"
                  + " decayed x0.6 per epoch) or cnn (cnn:1x28x28-c32-c64-f256-10, normalized,"
                  + " Adam lr=2e-3 decayed x0.6); docs/benchmarks.md has what each reaches."),
          new Flag("--seed", Long.class, "N", "Seed of initialisation and shuffling (default 42)."),
          new Flag("--batch-size", Integer.class, "B", "Mini-batch size (default 64)."),
          new Flag(
              "--shuffle-window",
              Integer.class,
              "W",
              "Examples shuffled together (default 60000: a whole Fashion-MNIST epoch)."),
          new Flag("--optimizer", String.class, "sgd|adam", "sgd or adam."),
          new Flag("--lr", Double.class, "LR", "Learning rate."),
          new Flag(
              "--lr-decay",
              Double.class,
              "FACTOR",
              "Learning rate factor per epoch: lr x decay^(epoch-1) (default 1: constant)."),
          new Flag("--momentum", Double.class, "M", "SGD momentum."),
          new Flag("--weight-decay", Double.class, "WD", "L2 weight decay."),
          new Flag(
              "--betas",
              String.class,
              "B1,B2",
              "Adam's moment decays, as torch.optim.Adam's betas (default 0.9,0.999)."),
          new Flag("--device", String.class, "auto|cpu|gpu", "auto, cpu or gpu (default auto)."),
          new Flag(
              "--architecture",
              String.class,
              "SPEC",
              "Model spec (default mlp:784-512-512-10), or torchscript:PATH for your own scripted"
                  + " PyTorch module (docs/torchscript.md)."),
          new Flag(
              "--input-shape",
              String.class,
              "CxHxW",
              "Input of a torchscript: module, after --transforms (default 1x28x28); built-in"
                  + " specs carry their own."),
          new Flag(
              "--transforms",
              String.class,
              "SPEC",
              "Image transforms between decoding and the model, in order, comma-separated:"
                  + " resize:HxW (bilinear), gray, rgb, crop:P and hflip (training only, seeded),"
                  + " normalize:MEANS:STDS (last), e.g."
                  + " resize:32x32,rgb,crop:4,hflip,normalize:0.4914/0.4822/0.4465:0.2470/0.2435/0.2616"
                  + " (default: none; the snapshot carries them to prediction)."),
          new Flag(
              "--snapshot-steps",
              Integer.class,
              "N",
              "Snapshot cadence, 1 of 3: a snapshot every N steps (default 500; 0: none by"
                  + " steps)."),
          new Flag(
              "--snapshot-ms",
              Long.class,
              "MS",
              "Snapshot cadence, 2 of 3: a snapshot every MS milliseconds (default 30000; 0: none"
                  + " by time)."),
          new Flag(
              "--live-snapshot-ms",
              Integer.class,
              "MS",
              "Snapshot cadence, 3 of 3: after live windows are trained, at most one snapshot per"
                  + " MS milliseconds (default 250). Every shuffle window's end has its snapshot"
                  + " too."),
          new Flag("--snapshot-every", Integer.class, "N", null),
          new Flag("--snapshot-seconds", Integer.class, "S", null),
          new Flag(
              "--metrics-every",
              Integer.class,
              "STEPS",
              "Prequential metric every N steps (default 100)."),
          new Flag(
              "--evaluate-each-epoch",
              Boolean.class,
              "true|false",
              "Evaluate on the test set at each epoch's end, for the per-epoch accuracy (default"
                  + " true)."),
          new Flag(
              "--max-bad-steps",
              Integer.class,
              "N",
              "Roll back after N consecutive non-finite steps (default 20)."),
          new Flag(
              "--training-first",
              Boolean.class,
              "true|false",
              "On Linux, let the training thread run first: the stream thread feeding it at nice"
                  + " +4, every other thread of the process but the garbage collector's at +10"
                  + " (default true)."),
          new Flag(
              "--live-window",
              Integer.class,
              "N",
              "Live records (new on the dataset topic, learned without replay) form windows of up"
                  + " to N records (default 256)."),
          new Flag(
              "--live-wait-ms",
              Integer.class,
              "MS",
              "A live window seals MS milliseconds after its first record at the latest (default"
                  + " 200)."));

  private static final List<String> NAMES = FLAGS.stream().map(Flag::name).toList();

  @Spec(Spec.Target.MIXEE)
  CommandSpec command; // the command this is mixed into, which holds the options

  /** Adds the table's options to every command of {@code cli} that mixes this in. */
  static void addTo(CommandLine cli) {
    for (CommandLine sub : cli.getSubcommands().values()) {
      CommandSpec spec = sub.getCommandSpec();
      if (spec.mixins().values().stream()
          .anyMatch(m -> m.userObject() instanceof TrainingOptions)) {
        for (Flag flag : FLAGS) {
          spec.addOption(
              OptionSpec.builder(flag.name())
                  .type(flag.type())
                  .arity("1")
                  .paramLabel(flag.label())
                  .description(flag.help() == null ? "" : flag.help())
                  .hidden(flag.help() == null)
                  .build());
        }
      }
    }
  }

  /** The flags given, by setting name, for {@link CommonOptions#settings(Map)}. */
  Map<String, String> flags() {
    return OptionValues.given(command).entrySet().stream()
        .filter(e -> NAMES.contains("--" + e.getKey()))
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
  }
}
