package io.streamtrain.cli;

import io.streamtrain.topology.Pipeline;
import io.streamtrain.topology.StopSignal;
import io.streamtrain.topology.TrainingListener;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import java.util.Properties;

/**
 * The training application running in this process: starts the Streams app, stops it cleanly
 * (final snapshot first) and turns a fatal error into an exception for the command to report.
 */
final class TrainingRun implements AutoCloseable {
  private final KafkaStreams streams;
  private final StopSignal stop = new StopSignal();
  private final AtomicReference<Throwable> fatal = new AtomicReference<>();

  TrainingRun(Pipeline pipeline, boolean fromScratch, TrainingListener listener) {
    Properties props =
        pipeline.settings().streamsProps(pipeline.trainerApplicationId(), true);
    // The trainer trains inside punctuations; poll briefly so training never waits on an idle poll.
    props.put(StreamsConfig.POLL_MS_CONFIG, "5");
    streams = new KafkaStreams(pipeline.trainingTopology(fromScratch, listener, stop), props);
    streams.setUncaughtExceptionHandler(
        e -> {
          fatal.compareAndSet(null, e);
          return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
  }

  TrainingRun start() {
    streams.start();
    return this;
  }

  /** The error that stopped the trainer, if any. */
  Throwable failure() {
    return fatal.get();
  }

  void throwIfFailed() {
    Throwable t = fatal.get();
    if (t != null) {
      throw new IllegalStateException("Trainer stopped: " + Errors.oneLine(t), t);
    }
  }

  KafkaStreams.State state() {
    return streams.state();
  }

  /** Asks the trainer for a final snapshot, waits for it (bounded), then closes the app. */
  @Override
  public void close() {
    stop.request();
    try {
      if (streams.state().isRunningOrRebalancing()) {
        stop.awaitFinalSnapshot(Duration.ofSeconds(60));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      streams.close(Duration.ofSeconds(60));
    }
  }
}
