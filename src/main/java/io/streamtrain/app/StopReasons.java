package io.streamtrain.app;

import io.streamtrain.config.Settings;
import io.streamtrain.kafka.TopicCatalog;
import io.streamtrain.model.SnapshotRejectedException;
import io.streamtrain.registry.SchemaRegistryException;
import io.streamtrain.snapshots.SnapshotChunks;

/**
 * Why a training or prediction run stopped, in one line that says how to go on: a refused snapshot,
 * a record too large for the topic or the clients, an explained outage; and which failures a
 * replaced stream thread recovers from.
 */
final class StopReasons {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TrainingRun.class);

  private StopReasons() {}

  /** A failure of Kafka's side that a replaced stream thread recovers from. */
  static boolean isKafkaFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof org.apache.kafka.common.errors.RetriableException
          || t instanceof org.apache.kafka.common.errors.InvalidTxnStateException
          || t instanceof org.apache.kafka.common.errors.ProducerFencedException
          || t instanceof org.apache.kafka.common.errors.InvalidProducerEpochException
          || t instanceof org.apache.kafka.common.errors.TransactionAbortedException
          || t instanceof org.apache.kafka.common.errors.OutOfOrderSequenceException) {
        return true;
      }
    }
    return false;
  }

  /** The one line that says a snapshot was refused and how to go on. */
  static String refusal(SnapshotRejectedException e) {
    return "Trainer refused to resume: "
        + e.getMessage()
        + " (resume from a good version with --snapshot-version V, or start over with"
        + " --from-scratch)";
  }

  static <T extends Throwable> T find(Throwable t, Class<T> type) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (type.isInstance(c)) {
        return type.cast(c);
      }
    }
    return null;
  }

  /** A record the client or the broker refused for its size: which limits, and what to change. */
  static String tooLargeLine(String what, Throwable e) {
    return what
        + " stopped: a record was refused as too large ("
        + e.getMessage()
        + "). Snapshots go out as one record of up to "
        + SnapshotChunks.ONE_RECORD_MAX_BYTES
        + " bytes or as chunk records of "
        + SnapshotChunks.DEFAULT_CHUNK_BYTES
        + " bytes, plus their envelope, and clients send records of up to "
        + Settings.SNAPSHOT_MAX_BYTES
        + " bytes: give the topic max.message.bytes="
        + TopicCatalog.SNAPSHOT_MAX_MESSAGE_BYTES
        + " (streamtrain topics create lists the topics whose settings differ)";
  }

  /**
   * The exception that tells the user why {@code what} stopped. An unreachable registry's own line
   * says what to do, so it comes alone (the chain, whose root adds only a socket error, goes to the
   * log at DEBUG); Streams' wrapper messages would carry a whole stack trace.
   */
  static IllegalStateException stopped(String what, Throwable t) {
    if (ExplainedFailures.isExplained(t)) {
      LOG.debug("{} stopped", what, t);
      SchemaRegistryException registry = find(t, SchemaRegistryException.class);
      return new IllegalStateException(
          what
              + " stopped: "
              + (registry != null
                  ? registry.getMessage()
                  : "a topic it reads was deleted; recreate it with: streamtrain topics create,"
                      + " and start it again"));
    }
    org.apache.kafka.common.errors.RecordTooLargeException tooLarge =
        find(t, org.apache.kafka.common.errors.RecordTooLargeException.class);
    if (tooLarge != null) {
      LOG.debug("{} stopped", what, t);
      return new IllegalStateException(tooLargeLine(what, tooLarge));
    }
    // Streams' "Exception caught in process ..." messages embed the whole stack trace.
    Throwable shown = t;
    while (shown instanceof org.apache.kafka.streams.errors.StreamsException
        && shown.getCause() != null
        && shown.getCause() != shown) {
      shown = shown.getCause();
    }
    return new IllegalStateException(what + " stopped: " + Errors.oneLine(shown), t);
  }
}
