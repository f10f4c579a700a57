package io.streamtrain.training;

import io.streamtrain.config.Training;
import io.streamtrain.records.DeadLetters;
import io.streamtrain.records.ExampleDecoder;
import io.streamtrain.records.Topic;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.TrainingMetric;
import io.streamtrain.snapshots.SnapshotChunks;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds the training application: {@code train.feed} (and, with a live tail, its live lane {@code
 * train.feed.live}) → MiniBatcher → Trainer → {@code model.snapshots} and {@code training.metrics},
 * records that cannot be used → {@code images.dlq}. A pure function of its arguments, called by
 * {@code train}, {@code demo}, {@code bench} and the topology tests.
 */
public final class TrainingTopology {
  public static final String FEED_SOURCE = "feed";
  public static final String MINI_BATCHER = "MiniBatcher";
  public static final String LIVE_SOURCE = "live-source";
  public static final String LIVE_FEED_SOURCE = "live-feed";
  public static final String LIVE_TAIL = "LiveTail";
  public static final String LIVE_SINK = "live-sink";

  /** How long one punctuation trains before Streams may poll and commit again. */
  static final Duration DRAIN_BUDGET = Duration.ofMillis(200);

  private TrainingTopology() {}

  /**
   * The topics the training application reads and writes.
   *
   * @param dataset the dataset topic the live tail follows; null for no live tail
   * @param liveFeed the feed's lane the live tail appends to and the batcher reads beside the feed;
   *     null for no live tail
   */
  public record Topics(
      String feed,
      Topic<String, ModelSnapshot> snapshots,
      Topic<String, TrainingMetric> metrics,
      String deadLetters,
      String dataset,
      String liveFeed) {
    public Topics {
      if ((dataset == null) != (liveFeed == null)) {
        throw new IllegalArgumentException("A live tail needs both its dataset and its lane");
      }
    }

    public Topics(
        String feed,
        Topic<String, ModelSnapshot> snapshots,
        Topic<String, TrainingMetric> metrics,
        String deadLetters) {
      this(feed, snapshots, metrics, deadLetters, null, null);
    }
  }

  /** The topology with training inline on the stream thread, as topology tests drive it. */
  public static Topology build(
      String modelName,
      TrainingSetup setup,
      Topics topics,
      ExampleDecoder decoder,
      TrainerDependencies deps) {
    return build(modelName, setup, topics, decoder, deps, false, () -> FeedReader.NONE);
  }

  /**
   * @param trainInBackground step the model on a training thread of its own, overlapping the stream
   *     thread's polling and buffering (what the pipeline runs)
   * @param feedReaders the batcher's way back into the feed, for windows paged out or restored
   */
  public static Topology build(
      String modelName,
      TrainingSetup setup,
      Topics topics,
      ExampleDecoder decoder,
      TrainerDependencies deps,
      boolean trainInBackground,
      Supplier<FeedReader> feedReaders) {
    Training training = setup.settings();
    DeadLetters deadLetters = new DeadLetters(MiniBatcher.DEAD_LETTERS);
    // One per topology: the feed has one partition, so one task holds both processors.
    TrainerQueue queue = new TrainerQueue(TrainerQueue.DEFAULT_CAPACITY);
    Topology topology = new Topology();
    topology.addSource(
        FEED_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), topics.feed());
    boolean liveTail = topics.dataset() != null;
    if (liveTail) {
      // The same task reads the live lane: Kafka Streams takes the partition whose head record has
      // the lowest timestamp next, and a live record's is the lowest there is, so it is processed
      // as soon as it is fetched, however many replayed records wait in the feed.
      topology.addSource(
          AutoOffsetReset.earliest(),
          LIVE_FEED_SOURCE,
          new LiveLaneFirst(),
          new ByteArrayDeserializer(),
          new ByteArrayDeserializer(),
          topics.liveFeed());
    }
    String[] batcherSources =
        liveTail ? new String[] {FEED_SOURCE, LIVE_FEED_SOURCE} : new String[] {FEED_SOURCE};
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
                deps.stop(),
                queue,
                feedReaders.get(),
                training.live()),
        batcherSources);
    topology.addProcessor(
        MiniBatcher.TRAINER,
        () -> new Trainer(modelName, setup, deps, deadLetters, queue, trainInBackground),
        MINI_BATCHER);
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(MiniBatcher.STORE),
                Serdes.Long(),
                Serdes.ByteArray())
            // The filling window's description changes with every record: write it once per commit.
            .withCachingEnabled(),
        MINI_BATCHER);
    topology.addSink(
        Trainer.SNAPSHOTS,
        topics.snapshots().name(),
        topics.snapshots().keySerde().serializer(),
        topics.snapshots().valueSerde().serializer(),
        // Chunks go where their manifest goes: readers find them before it in its partition.
        (topic, key, snapshot, partitions) ->
            Optional.of(Set.of(SnapshotChunks.partition(snapshot.getModelName(), partitions))),
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
    if (liveTail) {
      addLiveTail(topology, topics.dataset(), topics.liveFeed());
    }
    return topology;
  }

  /**
   * The live tail, a sub-topology of its own: dataset topic → the feed's live lane. Where it starts
   * on a first run is decided before the application starts (the dataset's end then; see
   * TrainingRun), so the reset policy only applies to partitions added later, whose records are all
   * new.
   */
  private static void addLiveTail(Topology topology, String dataset, String liveFeed) {
    topology.addSource(
        AutoOffsetReset.earliest(),
        LIVE_SOURCE,
        new ByteArrayDeserializer(),
        new ByteArrayDeserializer(),
        dataset);
    topology.addProcessor(LIVE_TAIL, LiveTail::new, LIVE_SOURCE);
    topology.addSink(
        LIVE_SINK, liveFeed, new ByteArraySerializer(), new ByteArraySerializer(), LIVE_TAIL);
  }
}
