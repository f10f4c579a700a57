package io.streamtrain.topology;

import io.streamtrain.config.Training;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.TrainingMetric;
import java.time.Duration;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds the training application: {@code train.feed} → MiniBatcher → Trainer → {@code
 * model.snapshots} and {@code training.metrics}, records that cannot be used → {@code images.dlq}.
 * A pure function of its arguments, called by {@code train}, {@code demo}, {@code bench} and the
 * topology tests.
 */
public final class TrainingTopology {
  public static final String FEED_SOURCE = "feed";
  public static final String MINI_BATCHER = "MiniBatcher";

  /** How long one punctuation trains before Streams may poll and commit again. */
  static final Duration DRAIN_BUDGET = Duration.ofMillis(200);

  private TrainingTopology() {}

  /** The topics the training application reads and writes. */
  public record Topics(
      String feed,
      Topic<String, ModelSnapshot> snapshots,
      Topic<String, TrainingMetric> metrics,
      String deadLetters) {}

  public static Topology build(
      String modelName,
      Training training,
      Topics topics,
      ExampleDecoder decoder,
      TrainerDependencies deps) {
    DeadLetters deadLetters = new DeadLetters(MiniBatcher.DEAD_LETTERS);
    Topology topology = new Topology();
    topology.addSource(
        FEED_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), topics.feed());
    topology.addProcessor(
        MINI_BATCHER,
        () ->
            new MiniBatcher(
                decoder,
                training.seed(),
                training.shuffleWindow(),
                training.batchSize(),
                DRAIN_BUDGET,
                deadLetters,
                deps.stop()),
        FEED_SOURCE);
    topology.addProcessor(
        MiniBatcher.TRAINER,
        () -> new Trainer(modelName, training, deps, deadLetters),
        MINI_BATCHER);
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(MiniBatcher.STORE), Serdes.Long(), Serdes.ByteArray()),
        MINI_BATCHER);
    topology.addSink(
        Trainer.SNAPSHOTS,
        topics.snapshots().name(),
        topics.snapshots().keySerde().serializer(),
        topics.snapshots().valueSerde().serializer(),
        MiniBatcher.TRAINER);
    topology.addSink(
        Trainer.METRICS,
        topics.metrics().name(),
        topics.metrics().keySerde().serializer(),
        topics.metrics().valueSerde().serializer(),
        MiniBatcher.TRAINER);
    topology.addSink(
        MiniBatcher.DEAD_LETTERS,
        topics.deadLetters(),
        new ByteArraySerializer(),
        new ByteArraySerializer(),
        MINI_BATCHER);
    return topology;
  }
}
