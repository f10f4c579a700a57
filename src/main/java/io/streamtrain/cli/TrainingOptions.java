package io.streamtrain.cli;

import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Hyperparameter flags of the commands that train; unset ones come from the preset. */
final class TrainingOptions {
  @Option(
      names = "--preset",
      paramLabel = "NAME",
      description =
          "reference (the PyTorch quickstart: SGD lr=1e-3, default), good (Adam lr=1e-3"
              + " decayed x0.6 per epoch) or cnn (cnn:1x28x28-c32-c64-f256-10, normalized, Adam"
              + " lr=2e-3 decayed x0.6); docs/benchmarks.md has what each reaches.")
  String preset;

  @Option(names = "--seed", description = "Seed of initialisation and shuffling (default 42).")
  Long seed;

  @Option(names = "--batch-size", paramLabel = "B", description = "Mini-batch size (default 64).")
  Integer batchSize;

  @Option(
      names = "--shuffle-window",
      paramLabel = "W",
      description = "Examples shuffled together (default 60000: a whole Fashion-MNIST epoch).")
  Integer shuffleWindow;

  @Option(names = "--optimizer", description = "sgd or adam.")
  String optimizer;

  @Option(names = "--lr", description = "Learning rate.")
  Double lr;

  @Option(
      names = "--lr-decay",
      description = "Learning rate factor per epoch: lr x decay^(epoch-1) (default 1: constant).")
  Double lrDecay;

  @Option(names = "--momentum", description = "SGD momentum.")
  Double momentum;

  @Option(names = "--weight-decay", description = "L2 weight decay.")
  Double weightDecay;

  @Option(
      names = "--betas",
      paramLabel = "B1,B2",
      description = "Adam's moment decays, as torch.optim.Adam's betas (default 0.9,0.999).")
  String betas;

  @Option(names = "--device", description = "auto, cpu or gpu (default auto).")
  String device;

  @Option(
      names = "--architecture",
      description =
          "Model spec (default mlp:784-512-512-10), or torchscript:PATH for your own scripted"
              + " PyTorch module (docs/torchscript.md).")
  String architecture;

  @Option(
      names = "--input-shape",
      paramLabel = "CxHxW",
      description =
          "Input of a torchscript: module, after --transforms (default 1x28x28); built-in specs"
              + " carry their own.")
  String inputShape;

  @Option(
      names = "--transforms",
      paramLabel = "SPEC",
      description =
          "Image transforms between decoding and the model, in order, comma-separated: resize:HxW"
              + " (bilinear), gray, rgb, crop:P and hflip (training only, seeded),"
              + " normalize:MEANS:STDS (last), e.g."
              + " resize:32x32,rgb,crop:4,hflip,normalize:0.4914/0.4822/0.4465:0.2470/0.2435/0.2616"
              + " (default: none; the snapshot carries them to prediction).")
  String transforms;

  @Option(
      names = "--snapshot-steps",
      paramLabel = "N",
      description =
          "Snapshot cadence, 1 of 3: a snapshot every N steps (default 500; 0: none by steps).")
  Integer snapshotSteps;

  @Option(
      names = "--snapshot-ms",
      paramLabel = "MS",
      description =
          "Snapshot cadence, 2 of 3: a snapshot every MS milliseconds (default 30000; 0: none by"
              + " time).")
  Long snapshotMs;

  @Option(
      names = "--live-snapshot-ms",
      paramLabel = "MS",
      description =
          "Snapshot cadence, 3 of 3: after live windows are trained, at most one snapshot per MS"
              + " milliseconds (default 250). Every shuffle window's end has its snapshot too.")
  Integer liveSnapshotMs;

  // The cadence's old spellings (steps, seconds): hidden, still accepted.
  @Option(names = "--snapshot-every", hidden = true)
  Integer snapshotEvery;

  @Option(names = "--snapshot-seconds", hidden = true)
  Integer snapshotSeconds;

  @Option(
      names = "--metrics-every",
      paramLabel = "STEPS",
      description = "Prequential metric every N steps (default 100).")
  Integer metricsEvery;

  @Option(
      names = "--evaluate-each-epoch",
      arity = "1",
      paramLabel = "true|false",
      description =
          "Evaluate on the test set at each epoch's end, for the per-epoch accuracy (default"
              + " true).")
  Boolean evaluateEachEpoch;

  @Option(
      names = "--max-bad-steps",
      paramLabel = "N",
      description = "Roll back after N consecutive non-finite steps (default 20).")
  Integer maxBadSteps;

  @Option(
      names = "--training-first",
      arity = "1",
      paramLabel = "true|false",
      description =
          "On Linux, let the training thread run first: the stream thread feeding it at nice +4,"
              + " every other thread of the process but the garbage collector's at +10 (default"
              + " true).")
  Boolean trainingFirst;

  @Option(
      names = "--live-window",
      paramLabel = "N",
      description =
          "Live records (new on the dataset topic, learned without replay) form windows of up to N"
              + " records (default 256).")
  Integer liveWindow;

  @Option(
      names = "--live-wait-ms",
      paramLabel = "MS",
      description =
          "A live window seals MS milliseconds after its first record at the latest (default 200).")
  Integer liveWaitMs;

  @Spec CommandSpec spec; // this mixin's own options

  /** The flags given, by setting name, for {@link CommonOptions#settings(Map)}. */
  Map<String, String> flags() {
    return OptionValues.given(spec);
  }
}
