package io.streamtrain.app;

import io.streamtrain.config.Settings;
import io.streamtrain.data.ImageShape;
import io.streamtrain.data.ImageTransforms;
import io.streamtrain.kafka.ModuleDefinitions;
import io.streamtrain.kafka.Replayer;
import io.streamtrain.kafka.TopicNames;
import io.streamtrain.metrics.TrainingListener;
import io.streamtrain.model.ModelSpec;
import io.streamtrain.model.TorchScriptModule;
import io.streamtrain.model.TorchScriptModules;
import io.streamtrain.records.ClassNames;
import io.streamtrain.records.LabeledImageDecoder;
import io.streamtrain.records.Topic;
import io.streamtrain.registry.AvroSerde;
import io.streamtrain.registry.SchemaRegistries;
import io.streamtrain.registry.SchemaRegistryClient;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.Prediction;
import io.streamtrain.schema.TrainingMetric;
import io.streamtrain.serving.PredictionTopology;
import io.streamtrain.serving.Predictor;
import io.streamtrain.snapshots.ModelHolder;
import io.streamtrain.snapshots.Resume;
import io.streamtrain.snapshots.SnapshotTopic;
import io.streamtrain.snapshots.StartPoint;
import io.streamtrain.training.KafkaFeedReader;
import io.streamtrain.training.StopSignal;
import io.streamtrain.training.TestSet;
import io.streamtrain.training.TestSets;
import io.streamtrain.training.TrainerDependencies;
import io.streamtrain.training.TrainingSetup;
import io.streamtrain.training.TrainingTopology;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;

/**
 * The wiring of one deployment: topic names and serdes on one schema registry, and the topologies
 * built on them. Commands, benchmarks and integration tests share it.
 */
public final class Pipeline {
  private final Settings settings;
  private final TopicNames names;
  private final SchemaRegistryClient registry;
  // The configured model, transforms and optimizer, parsed at the first use.
  private TrainingSetup setup;

  public Pipeline(Settings settings) {
    this(settings, SchemaRegistries.forUrl(settings.registryUrl(), settings.registryConfig()));
  }

  public Pipeline(Settings settings, SchemaRegistryClient registry) {
    this.settings = settings;
    this.names = TopicNames.withPrefix(settings.topicPrefix());
    this.registry = registry;
    // A snapshot names a TorchScript module by hash; one not known here comes from the cluster.
    TorchScriptModules.fetchWith(
        hash -> ModuleDefinitions.find(settings, names.modelDefinitions(), hash));
    if (!settings.training().transforms().isEmpty()) {
      transforms(); // refuses, before anything runs, transforms the model cannot take
    }
  }

  /**
   * The configured {@code --transforms}, checked against the configured model's input: one line
   * naming both shapes when the transforms cannot produce it.
   */
  public ImageTransforms transforms() {
    return trainingSetup().checkedTransforms();
  }

  /** {@link #transforms()} of {@code settings}, to check them before anything else starts. */
  public static ImageTransforms transforms(Settings settings) {
    return TrainingSetup.of(settings.training()).checkedTransforms();
  }

  /** The configured model spec, transforms and optimizer, parsed once. */
  public synchronized TrainingSetup trainingSetup() {
    if (setup == null) {
      setup = TrainingSetup.of(settings.training());
    }
    return setup;
  }

  public Settings settings() {
    return settings;
  }

  public TopicNames names() {
    return names;
  }

  public SchemaRegistryClient registry() {
    return registry;
  }

  public <T extends org.apache.avro.specific.SpecificRecord> AvroSerde<T> serde(Class<T> type) {
    return AvroSerde.of(type, registry, false);
  }

  public Topic<String, LabeledImage> imagesTrain() {
    return new Topic<>(names.imagesTrain(), Serdes.String(), serde(LabeledImage.class));
  }

  public Topic<String, LabeledImage> imagesTest() {
    return new Topic<>(names.imagesTest(), Serdes.String(), serde(LabeledImage.class));
  }

  public Topic<String, LabeledImage> imagesInfer() {
    return new Topic<>(names.imagesInfer(), Serdes.String(), serde(LabeledImage.class));
  }

  public Topic<String, Prediction> predictions() {
    return new Topic<>(names.predictions(), Serdes.String(), serde(Prediction.class));
  }

  public Topic<String, ModelSnapshot> snapshots() {
    return new Topic<>(names.modelSnapshots(), Serdes.String(), serde(ModelSnapshot.class));
  }

  public Topic<String, TrainingMetric> metrics() {
    return new Topic<>(names.trainingMetrics(), Serdes.String(), serde(TrainingMetric.class));
  }

  /** The input shape of the configured model (1x28x28 for the quickstart MLP). */
  public ImageShape inputShape() {
    return trainingSetup().inputShape();
  }

  /** The image shape {@code spec} takes (an MLP's from its input features). */
  public static ImageShape inputShape(ModelSpec spec) {
    return ImageShape.ofModelInput(spec.inputShape());
  }

  public int classes() {
    return trainingSetup().spec().numClasses();
  }

  /** A decoder of {@code topic}'s records applying the transforms without augmentation. */
  public LabeledImageDecoder decoder(String topic) {
    return decoder(topic, inputShape(), classes(), transforms());
  }

  /**
   * A decoder of {@code topic}'s records for the model of {@code snapshot} rather than the
   * configured one: its input shape, classes and transforms (without augmentation), as evaluation
   * of a snapshot needs.
   */
  public LabeledImageDecoder decoder(String topic, ModelSnapshot snapshot) {
    ModelSpec spec = ModelSpec.parse(snapshot.getArchitecture());
    return decoder(
        topic,
        inputShape(spec),
        spec.numClasses(),
        ImageTransforms.parse(snapshot.getTransforms()));
  }

  private LabeledImageDecoder decoder(
      String topic, ImageShape shape, int classes, ImageTransforms transforms) {
    return new LabeledImageDecoder(
            serde(LabeledImage.class).deserializer(),
            topic,
            shape,
            classes,
            settings.maxImagePixels(),
            settings.outageWait())
        .transforms(transforms, settings.training().seed(), false);
  }

  /** The training feed's decoder: augmenting, and noting class names in {@code names}. */
  private LabeledImageDecoder feedDecoder(ClassNames names) {
    return decoder(this.names.trainFeed())
        .transforms(transforms(), settings.training().seed(), true)
        .classNames(names);
  }

  /** The training application's topology, resuming from the newest snapshot unless told not to. */
  public Topology trainingTopology(
      boolean fromScratch, TrainingListener listener, StopSignal stop) {
    return trainingTopology(fromScratch ? Resume.fromScratch() : Resume.latest(), listener, stop);
  }

  /**
   * The training application's topology starting from {@code resume}. Only the first start of the
   * trainer honours {@code --from-scratch} or {@code --snapshot-version}: when Kafka Streams starts
   * its task again in this process (a rebalance, a broker fault), the trainer resumes from its own
   * newest snapshot, or from the same start point if it has published none yet.
   */
  public Topology trainingTopology(Resume resume, TrainingListener listener, StopSignal stop) {
    return trainingTopology(resume, listener, stop, false);
  }

  /**
   * As {@link #trainingTopology(Resume, TrainingListener, StopSignal)}; with {@code liveTail}, the
   * application also appends every new record of the dataset topic to the feed as a live record.
   */
  public Topology trainingTopology(
      Resume resume, TrainingListener listener, StopSignal stop, boolean liveTail) {
    StartPoint start = snapshotTopic().startPoint(resume);
    ClassNames classNames = new ClassNames(classes());
    TrainerDependencies deps =
        new TrainerDependencies(start, testSet(), listener, stop, start::floor, classNames);
    return TrainingTopology.build(
        settings.modelName(),
        trainingSetup(),
        new TrainingTopology.Topics(
            names.trainFeed(),
            snapshots(),
            metrics(),
            names.imagesDlq(),
            liveTail ? names.imagesTrain() : null,
            liveTail ? names.liveFeed() : null),
        feedDecoder(classNames),
        deps,
        true,
        () -> new KafkaFeedReader(settings.consumerProps(null)));
  }

  /**
   * The snapshot a trainer starts from, checked before Kafka Streams starts: see {@link
   * SnapshotTopic#start}.
   */
  public Optional<ModelSnapshot> startSnapshot(Resume resume) {
    return snapshotTopic().start(resume);
  }

  /** This model's snapshots on this deployment's snapshot topic. */
  public SnapshotTopic snapshotTopic() {
    return new SnapshotTopic(
        () -> settings.consumerProps(null),
        settings::producerProps,
        names.modelSnapshots(),
        settings.modelName(),
        serde(ModelSnapshot.class));
  }

  /** Loaded once, at the first epoch end, and kept: images.test is the fixed held-out set. */
  private Supplier<TestSet> testSet() {
    return settings.training().evaluateEachEpoch()
        ? memoize(
            () ->
                TestSets.load(
                    settings.consumerProps(null), names.imagesTest(), decoder(names.imagesTest())))
        : () -> TestSet.EMPTY;
  }

  private static <T> Supplier<T> memoize(Supplier<T> supplier) {
    return new Supplier<>() {
      private T value;

      @Override
      public synchronized T get() {
        if (value == null) {
          value = supplier.get();
        }
        return value;
      }
    };
  }

  public Topology predictionTopology(ModelHolder models, int maxBatch, Duration maxWait) {
    return predictionTopology(models, maxBatch, maxWait, new Predictor.Stats());
  }

  /** The prediction application's topology; {@code stats} counts its forward passes. */
  public Topology predictionTopology(
      ModelHolder models, int maxBatch, Duration maxWait, Predictor.Stats stats) {
    return PredictionTopology.build(
        names.imagesInfer(),
        names.predictions(),
        serde(Prediction.class).serializer(),
        names.imagesDlq(),
        decoder(names.imagesInfer()),
        models,
        settings.modelName(),
        maxBatch,
        maxWait,
        stats);
  }

  /**
   * The snapshot {@code resume} names (the newest for {@code latest}), or one line saying there is
   * none on the topic, followed by {@code hint}.
   */
  public ModelSnapshot requireSnapshot(Resume resume, String hint) {
    return startSnapshot(resume)
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "No snapshot of "
                        + settings.modelName()
                        + " on "
                        + names.modelSnapshots()
                        + hint));
  }

  /**
   * Publishes {@code snapshot} keyed by its model name and waits for the broker's ack; one too
   * large for a record goes out as chunks and a manifest in one transaction.
   */
  public void publishSnapshot(ModelSnapshot snapshot) {
    String topic = names.modelSnapshots();
    try {
      snapshotTopic().publish(snapshot);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while publishing a snapshot to " + topic, e);
    } catch (ExecutionException | TimeoutException | KafkaException e) {
      throw new IllegalStateException(
          "Cannot publish version "
              + snapshot.getVersion()
              + " of "
              + snapshot.getModelName()
              + " to "
              + topic
              + ": "
              + Errors.oneLine(e),
          e);
    }
  }

  /**
   * Publishes the configured TorchScript module (a {@code torchscript:} architecture) to the
   * definitions topic, so whoever reads this model's snapshots can load it; nothing otherwise.
   */
  public void publishModule() {
    TorchScriptModule module = trainingSetup().spec().torchScript();
    if (module != null) {
      ModuleDefinitions.publish(
          settings, names.modelDefinitions(), module.sha256(), module.bytes());
    }
  }

  public Optional<ModelSnapshot> latestSnapshot() {
    return snapshotTopic().latest();
  }

  /** The replay of this pipeline's training topic into its feed. */
  public Replayer replayer() {
    return new Replayer(
        settings.feedProducerProps(),
        settings.consumerProps(null),
        names.imagesTrain(),
        names.trainFeed());
  }

  /** Streams application id of the trainer of this model. */
  public String trainerApplicationId() {
    return "streamtrain-trainer-" + settings.topicPrefix() + settings.modelName();
  }

  public String predictorApplicationId() {
    return "streamtrain-predictor-" + settings.topicPrefix() + settings.modelName();
  }
}
