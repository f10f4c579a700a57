package io.streamtrain.bench;

import io.streamtrain.config.Checks;
import io.streamtrain.kafka.TopicCatalog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * What {@code bench --predict} measures; the constructor checks each value with the flag's name.
 *
 * @param rate requests per second (the starting rate with {@code findMax})
 * @param duration measured seconds per trial
 * @param warmup seconds at the first rate before measuring (JIT, connections, first batches)
 * @param instances prediction instances sharing the request partitions
 * @param partitions partitions of images.infer
 * @param attempts trials per rate with {@code findMax} before the rate counts as failed
 * @param p99TargetMs the latency bound a sustained rate must keep
 * @param trainImages Fashion-MNIST training images the trainer cycles through with {@code train}
 * @param liveRate labeled events per second a live trainer learns from while the serving is
 *     measured again (the "live" phase), 0 for none
 * @param liveFlags the live trainer's window and snapshot settings by flag name ({@code
 *     live-window}, {@code live-wait-ms}, {@code live-snapshot-ms}), the defaults for those absent
 * @param dataDir Fashion-MNIST directory, null for the standard locations
 * @param predictorConfig Streams/client properties for the prediction instances, applied last
 * @param requestConfig producer properties for the load generator, applied last
 * @param modelFlags the served model by flag name ({@code architecture}, {@code input-shape},
 *     {@code transforms}), the quickstart MLP for those absent
 * @param coldStarts predictors started afresh, each in its own JVM, that meet a burst right after
 *     {@code /ready} turns 200 (0: none); see {@link ColdStarts}
 */
public record PredictionOptions(
    double rate,
    Duration duration,
    Duration warmup,
    int instances,
    int partitions,
    int maxBatch,
    Duration maxWait,
    boolean exactlyOnce,
    boolean findMax,
    int attempts,
    double p99TargetMs,
    boolean train,
    int trainImages,
    double liveRate,
    Map<String, String> liveFlags,
    Path dataDir,
    Map<String, String> predictorConfig,
    Map<String, String> requestConfig,
    Map<String, String> modelFlags,
    int coldStarts) {
  public PredictionOptions {
    liveFlags = Map.copyOf(liveFlags);
    modelFlags = Map.copyOf(modelFlags);
    predictorConfig = Map.copyOf(predictorConfig);
    requestConfig = Map.copyOf(requestConfig);
    Checks.require(rate > 0, "--rate must be > 0 requests/s (got " + rate + ")");
    Checks.require(!duration.isNegative() && !duration.isZero(), "--duration must be > 0 seconds");
    Checks.require(!warmup.isNegative(), "--warmup must be >= 0 seconds");
    Checks.require(
        instances >= 1 && instances <= 16, "--instances must be 1..16 (got " + instances + ")");
    Checks.require(partitions >= 1, "--partitions must be >= 1 (got " + partitions + ")");
    Checks.require(maxBatch >= 1, "--max-batch must be >= 1 (got " + maxBatch + ")");
    Checks.require(!maxWait.isNegative(), "--max-wait-ms must be >= 0");
    Checks.require(p99TargetMs > 0, "--p99-target-ms must be > 0 (got " + p99TargetMs + ")");
    Checks.atLeast("--attempts", attempts, 1);
    Checks.require(trainImages >= 64, "--train-images must be at least one batch of 64");
    // The flag combinations are refused at the command line, naming the spelling given.
    Checks.require(
        liveRate >= 0, "--event-rate must be > 0 labeled events/s (got " + liveRate + ")");
    Checks.require(liveRate == 0 || !train, "a live trainer and --train exclude each other");
    Checks.require(liveRate == 0 || !findMax, "a live trainer excludes --find-max");
    Checks.require(coldStarts >= 0, "--cold-starts must be >= 0 (got " + coldStarts + ")");
    Checks.require(
        coldStarts == 0 || (instances == 1 && !findMax && !train && liveRate == 0),
        "--cold-starts measures one fixed --rate against one instance, without a trainer:"
            + " drop --instances, --find-max, --train and --event-rate");
  }

  /** With a live trainer: {@code liveRate} > 0. */
  public boolean live() {
    return liveRate > 0;
  }

  public static PredictionOptions defaults() {
    return new PredictionOptions(
        500,
        Duration.ofSeconds(30),
        Duration.ofSeconds(60),
        1,
        TopicCatalog.DEFAULT_INFER_PARTITIONS,
        64,
        Duration.ofMillis(5),
        false,
        false,
        2,
        50,
        false,
        60_000,
        0,
        Map.of(),
        null,
        Map.of(),
        Map.of(),
        Map.of(),
        0);
  }
}
