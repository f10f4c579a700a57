package io.streamtrain.serving;

import io.streamtrain.records.DeadLetters;
import io.streamtrain.records.LabeledImageDecoder;
import io.streamtrain.schema.Prediction;
import io.streamtrain.snapshots.ModelHolder;
import java.time.Duration;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.Topology;

/**
 * Builds the prediction application: {@code images.infer} → Predictor → {@code predictions}, bad
 * requests to the dead-letter topic. Stateless, so instances sharing the application id split the
 * request partitions between them and a rebalance moves no state.
 */
public final class PredictionTopology {
  public static final String REQUESTS = "requests";
  public static final String PREDICTOR = "Predictor";

  private PredictionTopology() {}

  public static Topology build(
      String requestsTopic,
      String predictionsTopic,
      Serializer<Prediction> predictionSerializer,
      String deadLetterTopic,
      LabeledImageDecoder decoder,
      ModelHolder models,
      String modelName,
      int maxBatch,
      Duration maxWait,
      Predictor.Stats stats) {
    DeadLetters deadLetters = new DeadLetters(Predictor.DEAD_LETTERS);
    Topology topology = new Topology();
    topology.addSource(
        REQUESTS, new ByteArrayDeserializer(), new ByteArrayDeserializer(), requestsTopic);
    topology.addProcessor(
        PREDICTOR,
        () ->
            new Predictor(
                decoder,
                models,
                modelName,
                maxBatch,
                maxWait,
                deadLetters,
                stats,
                System::nanoTime),
        REQUESTS);
    topology.addSink(
        Predictor.PREDICTIONS,
        predictionsTopic,
        new ByteArraySerializer(),
        predictionSerializer,
        PREDICTOR);
    topology.addSink(
        Predictor.DEAD_LETTERS,
        deadLetterTopic,
        new ByteArraySerializer(),
        new ByteArraySerializer(),
        PREDICTOR);
    return topology;
  }
}
