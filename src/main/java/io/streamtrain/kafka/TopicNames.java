package io.streamtrain.kafka;

import java.util.List;

/**
 * The names of streamtrain's topics (DESIGN.md's table), all sharing one optional prefix. The live
 * feed is the training feed's lane for the live tail: live events never queue behind a replay.
 */
public record TopicNames(
    String imagesTrain,
    String imagesTest,
    String trainFeed,
    String liveFeed,
    String imagesInfer,
    String predictions,
    String modelSnapshots,
    String modelDefinitions,
    String trainingMetrics,
    String imagesDlq) {

  public static final TopicNames DEFAULT = withPrefix("");

  /** {@code withPrefix("exp1.")} gives "exp1.images.train", ...; {@code ""} the default names. */
  public static TopicNames withPrefix(String prefix) {
    String p = prefix == null ? "" : prefix;
    if (!p.matches("[a-zA-Z0-9._-]*") || p.length() > 200) {
      throw new IllegalArgumentException(
          "Invalid topic prefix '"
              + p
              + "': use at most 200 letters, digits, '.', '_' or '-' (e.g. exp1.)");
    }
    return new TopicNames(
        p + "images.train",
        p + "images.test",
        p + "train.feed",
        p + "train.feed.live",
        p + "images.infer",
        p + "predictions",
        p + "model.snapshots",
        p + "model.definitions",
        p + "training.metrics",
        p + "images.dlq");
  }

  /** All names, in the order of DESIGN.md's table; a null name fails here (List.of). */
  public List<String> all() {
    return List.of(
        imagesTrain,
        imagesTest,
        trainFeed,
        liveFeed,
        imagesInfer,
        predictions,
        modelSnapshots,
        modelDefinitions,
        trainingMetrics,
        imagesDlq);
  }
}
