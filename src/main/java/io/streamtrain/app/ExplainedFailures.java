package io.streamtrain.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import io.streamtrain.registry.SchemaRegistryException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.streams.errors.MissingSourceTopicException;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;
import org.slf4j.helpers.MessageFormatter;

/**
 * Keeps Kafka's (chiefly Streams') ERROR logs of a failure the command explains in one line of its
 * own (an unreachable Schema Registry, once the outage wait ran out; a source topic deleted under a
 * running application) off the console: their stack traces go to this class's logger at DEBUG
 * instead. Other errors are logged as before.
 */
final class ExplainedFailures extends TurboFilter {
  private static final org.slf4j.Logger LOG = LoggerFactory.getLogger(ExplainedFailures.class);
  private static final AtomicBoolean INSTALLED = new AtomicBoolean();
  // The consumer's rebalance listener logs the errors of Streams' listener too.
  private static final String KAFKA = "org.apache.kafka";
  private static final String STREAMS = "org.apache.kafka.streams";
  // Streams' advice to configure a continuing handler: the trainer fails on purpose (TrainingRun).
  private static final String FAIL_HANDLER_ADVICE = "Processing exception handler is set to fail";

  /** Installs the filter once per JVM when logback is the logging backend. */
  static void install() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context
        && INSTALLED.compareAndSet(false, true)) {
      ExplainedFailures filter = new ExplainedFailures();
      filter.setContext(context);
      filter.start();
      context.addTurboFilter(filter);
    }
  }

  @Override
  public FilterReply decide(
      Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (level != Level.ERROR || logger == null || !logger.getName().startsWith(KAFKA)) {
      return FilterReply.NEUTRAL;
    }
    boolean streams = logger.getName().startsWith(STREAMS);
    if (streams && format != null && format.startsWith(FAIL_HANDLER_ADVICE)) {
      return FilterReply.DENY;
    }
    if (streams && format != null && isAboutMissingSourceTopics(format, params)) {
      LOG.debug(
          "{}: {}", logger.getName(), MessageFormatter.arrayFormat(format, params).getMessage());
      return FilterReply.DENY;
    }
    Throwable thrown = t;
    if (thrown == null && params != null && params.length > 0) {
      thrown = params[params.length - 1] instanceof Throwable last ? last : null;
    }
    if (thrown != null && isExplained(thrown)) {
      LOG.debug("{}: {}", logger.getName(), format, thrown);
      return FilterReply.DENY;
    }
    return FilterReply.NEUTRAL;
  }

  /** Whether the one line the command prints says all a user needs about {@code e}. */
  static boolean isExplained(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof SchemaRegistryException r && r.isRetriable()
          || c instanceof MissingSourceTopicException) {
        return true;
      }
    }
    return false;
  }

  /**
   * Streams' own ERROR lines about a deleted source topic (the assignor's, the stream thread's),
   * which come without the exception the command explains.
   */
  private static boolean isAboutMissingSourceTopics(String format, Object[] params) {
    String message = MessageFormatter.arrayFormat(format, params).getMessage();
    return message != null
        && (message.toLowerCase(java.util.Locale.ROOT).contains("missing source topic")
            || message.contains("INCOMPLETE_SOURCE_TOPIC_METADATA"));
  }
}
