package io.streamtrain.cli;

import io.streamtrain.app.Progress;
import io.streamtrain.config.Settings;
import io.streamtrain.kafka.Brokers;
import io.streamtrain.kafka.Replayer;
import io.streamtrain.kafka.TopicNames;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    description =
        "Copy the dataset topic (up to its end offsets at start) into the training feed N times,"
            + " each record tagged with its epoch, with an end-of-epoch marker after each pass.",
    footer = {
      "",
      "Examples:",
      "  streamtrain replay --epochs 5",
      "  streamtrain replay --epochs 1 --first-epoch 6"
    })
final class ReplayCommand implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Option(names = "--epochs", description = "Passes over the dataset (default 1).")
  int epochs = 1;

  @Option(names = "--first-epoch", description = "Number of the first pass (default 1).")
  int firstEpoch = 1;

  @Option(names = "--source", description = "Dataset topic (default images.train).")
  String source;

  @Option(names = "--feed", description = "Feed topic (default train.feed).")
  String feed;

  @Option(names = "--json", description = "Print the summary as JSON on stdout.")
  boolean json;

  @Override
  public Integer call() {
    if (epochs < 1 || firstEpoch < 1) {
      throw new IllegalArgumentException("--epochs and --first-epoch must be at least 1");
    }
    Settings settings = common.settings();
    Brokers.awaitReachable(settings.adminProps(), Duration.ofSeconds(30));
    TopicNames names = TopicNames.withPrefix(settings.topicPrefix());
    Replayer replayer =
        new Replayer(
            settings.feedProducerProps(),
            settings.consumerProps(null),
            source != null ? source : names.imagesTrain(),
            feed != null ? feed : names.trainFeed());
    Progress[] bar = new Progress[1];
    Replayer.Summary s =
        replayer.replay(
            firstEpoch,
            epochs,
            (done, total) -> {
              if (bar[0] == null) {
                bar[0] = new Progress(System.err, "replay", total);
              }
              bar[0].update(done);
            });
    System.err.printf(
        Locale.ROOT,
        "Replayed %d epoch(s) of %,d records: %,d records, %,.1f MB in %.2f s, %,.0f records/s"
            + " (after %.2f s connecting)%n",
        s.epochs(),
        s.recordsPerEpoch(),
        s.records(),
        s.bytes() / 1e6,
        s.seconds(),
        s.recordsPerSecond(),
        s.connectSeconds());
    if (json) {
      System.out.printf(
          Locale.ROOT,
          "{\"epochs\":%d,\"records\":%d,\"bytes\":%d,\"seconds\":%.3f,\"recordsPerSecond\":%.1f,"
              + "\"connectSeconds\":%.3f}%n",
          s.epochs(),
          s.records(),
          s.bytes(),
          s.seconds(),
          s.recordsPerSecond(),
          s.connectSeconds());
    }
    return 0;
  }
}
