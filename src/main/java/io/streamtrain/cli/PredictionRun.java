package io.streamtrain.cli;

import io.streamtrain.model.Devices;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.topology.ModelHolder;
import io.streamtrain.topology.Pipeline;
import io.streamtrain.topology.SnapshotFollower;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;

/** The prediction application in this process: a snapshot follower plus the Streams app. */
public final class PredictionRun implements AutoCloseable {
  private final ModelHolder models = new ModelHolder();
  private final SnapshotFollower follower;
  private final KafkaStreams streams;
  private final AtomicReference<Throwable> fatal = new AtomicReference<>();

  /**
   * @param exactlyOnce exactly_once_v2 instead of the latency-friendly at_least_once default
   */
  public PredictionRun(
      Pipeline pipeline, int maxBatch, Duration maxWait, boolean exactlyOnce, String instanceSuffix) {
    follower =
        new SnapshotFollower(
            pipeline.settings().consumerProps(null),
            pipeline.names().modelSnapshots(),
            pipeline.settings().modelName(),
            pipeline.serde(ModelSnapshot.class).deserializer(),
            Devices.select(pipeline.settings().training().device()),
            models);
    Properties props = pipeline.settings().streamsProps(pipeline.predictorApplicationId(), exactlyOnce);
    props.put(StreamsConfig.POLL_MS_CONFIG, "1");
    props.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), "1");
    props.put(StreamsConfig.STATE_DIR_CONFIG,
        pipeline.settings().stateDir().resolve("predictor" + instanceSuffix).toString());
    streams = new KafkaStreams(pipeline.predictionTopology(models, maxBatch, maxWait), props);
    streams.setUncaughtExceptionHandler(
        e -> {
          fatal.compareAndSet(null, e);
          return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
  }

  /** Starts following snapshots, waits for a first model (bounded), then starts serving. */
  public PredictionRun start(Duration waitForModel) throws InterruptedException {
    follower.start();
    if (!models.awaitModel(waitForModel)) {
      throw new IllegalStateException(
          "No snapshot of the model on the snapshots topic within "
              + waitForModel.toSeconds()
              + " s: start a trainer first (streamtrain train)");
    }
    streams.start();
    return this;
  }

  public long modelVersion() {
    return models.version();
  }

  public KafkaStreams streams() {
    return streams;
  }

  public void throwIfFailed() {
    Throwable t = fatal.get();
    if (t != null) {
      throw new IllegalStateException("Predictor stopped: " + Errors.oneLine(t), t);
    }
  }

  @Override
  public void close() {
    streams.close(Duration.ofSeconds(30));
    follower.close();
    models.close();
  }
}
