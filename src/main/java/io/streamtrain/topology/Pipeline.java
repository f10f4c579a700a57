package io.streamtrain.topology;

import io.streamtrain.config.Settings;
import io.streamtrain.data.FashionMnist;
import io.streamtrain.data.ImageShape;
import io.streamtrain.kafka.TopicNames;
import io.streamtrain.model.ModelSpec;
import io.streamtrain.registry.AvroSerde;
import io.streamtrain.registry.SchemaRegistries;
import io.streamtrain.registry.SchemaRegistryClient;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.Prediction;
import io.streamtrain.schema.TrainingMetric;
import java.time.Duration;
import java.util.Optional;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;

/**
 * The wiring of one deployment: topic names and serdes on one schema registry, and the
 * topologies built on them. Commands, benchmarks and integration tests share it.
 */
public final class Pipeline {
  private final Settings settings;
  private final TopicNames names;
  private final SchemaRegistryClient registry;

  public Pipeline(Settings settings) {
    this(settings, SchemaRegistries.forUrl(settings.registryUrl(), settings.registryConfig()));
  }

  public Pipeline(Settings settings, SchemaRegistryClient registry) {
    this.settings = settings;
    this.names = TopicNames.withPrefix(settings.topicPrefix());
    this.registry = registry;
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
    ModelSpec spec = ModelSpec.parse(settings.training().architecture());
    int features = spec.inputFeatures();
    int side = (int) Math.round(Math.sqrt(features));
    if (side * side == features) {
      return new ImageShape(side, side, 1);
    }
    int rgbSide = (int) Math.round(Math.sqrt(features / 3.0));
    if (rgbSide * rgbSide * 3 == features) {
      return new ImageShape(rgbSide, rgbSide, 3);
    }
    return FashionMnist.IMAGE_SHAPE;
  }

  public int classes() {
    return ModelSpec.parse(settings.training().architecture()).numClasses();
  }

  public LabeledImageDecoder decoder(String topic) {
    return new LabeledImageDecoder(
        serde(LabeledImage.class).deserializer(), topic, inputShape(), classes());
  }

  /** The training application's topology, resuming from the newest snapshot unless told not to. */
  public Topology trainingTopology(
      boolean fromScratch, TrainingListener listener, StopSignal stop) {
    TrainerDependencies deps =
        new TrainerDependencies(
            () -> fromScratch ? Optional.empty() : latestSnapshot(),
            () -> TestSets.load(this),
            listener,
            stop);
    return TrainingTopology.build(
        settings.modelName(),
        settings.training(),
        new TrainingTopology.Topics(names.trainFeed(), snapshots(), metrics(), names.imagesDlq()),
        decoder(names.trainFeed()),
        deps);
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

  public Optional<ModelSnapshot> latestSnapshot() {
    return Snapshots.latest(
        settings.consumerProps(null),
        names.modelSnapshots(),
        settings.modelName(),
        serde(ModelSnapshot.class).deserializer());
  }

  /** Streams application id of the trainer of this model. */
  public String trainerApplicationId() {
    return "streamtrain-trainer-" + settings.topicPrefix() + settings.modelName();
  }

  public String predictorApplicationId() {
    return "streamtrain-predictor-" + settings.topicPrefix() + settings.modelName();
  }
}
