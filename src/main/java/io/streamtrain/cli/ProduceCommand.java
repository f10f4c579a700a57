package io.streamtrain.cli;

import io.streamtrain.app.Pipeline;
import io.streamtrain.app.Progress;
import io.streamtrain.config.Settings;
import io.streamtrain.data.ImageSources;
import io.streamtrain.data.Split;
import io.streamtrain.kafka.Brokers;
import io.streamtrain.kafka.Publisher;
import io.streamtrain.schema.LabeledImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "produce",
    mixinStandardHelpOptions = true,
    description =
        "Publish labeled images: Fashion-MNIST IDX files, an ImageFolder tree or one PNG/JPEG.",
    footer = {
      "",
      "Examples:",
      "  streamtrain produce --split train                 # Fashion-MNIST, found automatically",
      "  streamtrain produce --data /usr/share/datasets/fashion-mnist --split test --limit 1000",
      "  streamtrain produce --data photos/ --split train  # photos/<class>/<image>.png"
    })
final class ProduceCommand implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Option(
      names = "--data",
      paramLabel = "PATH",
      description =
          "Fashion-MNIST directory (IDX .gz or raw), ImageFolder tree or image file. Default:"
              + " $STREAMTRAIN_DATA, /usr/share/datasets/fashion-mnist, then the download cache.")
  Path data;

  @Option(names = "--split", required = true, description = "train or test.")
  String split;

  @Option(names = "--topic", description = "Target topic (default images.train / images.test).")
  String topic;

  @Option(names = "--limit", paramLabel = "N", description = "Publish at most N images.")
  Integer limit;

  @Option(names = "--json", description = "Print the summary as JSON on stdout.")
  boolean json;

  @Override
  public Integer call() {
    Split which = parseSplit(split);
    if (limit != null && limit < 0) {
      throw new IllegalArgumentException("--limit must be >= 0 (got " + limit + ")");
    }
    ImageSources.Source source = ImageSources.open(data, which, limit);
    Settings settings = common.settings();
    Brokers.awaitReachable(settings.adminProps(), Duration.ofSeconds(30));
    Pipeline pipeline = new Pipeline(settings);
    String target =
        topic != null
            ? topic
            : which == Split.TRAIN ? pipeline.names().imagesTrain() : pipeline.names().imagesTest();
    Progress progress = new Progress(System.err, "produce " + target, source.count());
    Publisher.Summary summary =
        Publisher.publish(
            settings,
            target,
            pipeline.serde(LabeledImage.class).serializer(),
            source.images(),
            progress::update);
    String line =
        String.format(
            Locale.ROOT,
            "Produced %,d images to %s: %,.1f MB in %.2f s, %,.0f images/s%s",
            summary.count(),
            target,
            summary.bytes() / 1e6,
            summary.seconds(),
            summary.perSecond(),
            source.skipped() > 0 ? " (" + source.skipped() + " files skipped: not images)" : "");
    System.err.println(line);
    if (json) {
      System.out.printf(
          Locale.ROOT,
          "{\"topic\":\"%s\",\"count\":%d,\"bytes\":%d,\"seconds\":%.3f,\"imagesPerSecond\":%.1f,\"skipped\":%d}%n",
          target,
          summary.count(),
          summary.bytes(),
          summary.seconds(),
          summary.perSecond(),
          source.skipped());
    }
    return 0;
  }

  static Split parseSplit(String text) {
    return switch (text.toLowerCase(Locale.ROOT)) {
      case "train" -> Split.TRAIN;
      case "test" -> Split.TEST;
      default ->
          throw new IllegalArgumentException("--split must be train or test (got " + text + ")");
    };
  }
}
