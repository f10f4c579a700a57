package io.streamtrain.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * Serves a Micrometer Prometheus registry at {@code GET /metrics} with the JDK's HTTP server, in
 * OpenMetrics when the scraper's Accept header asks for it (Prometheus does) and in the Prometheus
 * text format otherwise; and the application's readiness at {@code GET /ready}: 200 when it is
 * ready, 503 until then (the probe of compose's healthcheck and Kubernetes' readinessProbe).
 */
public final class MetricsServer implements AutoCloseable {
  public static final String PATH = "/metrics";
  public static final String READY_PATH = "/ready";
  static final String TEXT = "text/plain; version=0.0.4; charset=utf-8";
  static final String OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

  private final HttpServer server;
  private final ExecutorService executor;
  private final PrometheusMeterRegistry registry;
  private volatile BooleanSupplier readiness = () -> false;

  private MetricsServer(
      HttpServer server, ExecutorService executor, PrometheusMeterRegistry registry) {
    this.server = server;
    this.executor = executor;
    this.registry = registry;
  }

  /** Serves on every interface at {@code port}; 0 picks a free port (see {@link #port()}). */
  public static MetricsServer start(int port, PrometheusMeterRegistry registry) {
    return start(new InetSocketAddress(port), registry);
  }

  public static MetricsServer start(InetSocketAddress address, PrometheusMeterRegistry registry) {
    if (address.getPort() < 0 || address.getPort() > 65535) {
      throw new IllegalArgumentException(
          "--metrics-port must be between 0 (any free port) and 65535 (got "
              + address.getPort()
              + ")");
    }
    HttpServer server;
    try {
      server = HttpServer.create(address, 16);
    } catch (BindException e) {
      throw new IllegalStateException(
          "Cannot serve metrics on port "
              + address.getPort()
              + " ("
              + e.getMessage()
              + "): pick a free --metrics-port, or 0 for any",
          e);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start the metrics server on " + address, e);
    }
    ExecutorService executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "metrics-http");
              t.setDaemon(true);
              return t;
            });
    MetricsServer metrics = new MetricsServer(server, executor, registry);
    server.createContext("/", metrics::handle);
    server.setExecutor(executor);
    server.start();
    return metrics;
  }

  /** The port it listens on (the chosen one when started with 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  /** What {@code /ready} answers: 200 while {@code readiness} says so, 503 otherwise. */
  public void readiness(BooleanSupplier readiness) {
    this.readiness = readiness;
  }

  /** {@code http://localhost:PORT/metrics}. */
  public URI uri() {
    return URI.create("http://localhost:" + port() + PATH);
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      String path = exchange.getRequestURI().getPath();
      if (!path.equals(PATH) && !path.equals(READY_PATH)) {
        reply(
            exchange,
            404,
            "text/plain; charset=utf-8",
            "Not found: metrics are at " + PATH + ", readiness at " + READY_PATH + "\n");
        return;
      }
      if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        reply(exchange, 405, "text/plain; charset=utf-8", "Use GET " + path + "\n");
        return;
      }
      if (path.equals(READY_PATH)) {
        boolean ready;
        try {
          ready = readiness.getAsBoolean();
        } catch (RuntimeException e) {
          ready = false;
        }
        if (method.equals("HEAD")) {
          exchange.sendResponseHeaders(ready ? 200 : 503, -1);
          return;
        }
        reply(
            exchange,
            ready ? 200 : 503,
            "text/plain; charset=utf-8",
            ready ? "ready\n" : "not ready\n");
        return;
      }
      String accept = exchange.getRequestHeaders().getFirst("Accept");
      // The exposition writers are runtime-only dependencies of Micrometer, so negotiate here
      // and name the chosen type to scrape(), which picks the matching writer.
      String type =
          accept != null && accept.contains("application/openmetrics-text") ? OPENMETRICS : TEXT;
      ByteArrayOutputStream body = new ByteArrayOutputStream(16 * 1024);
      try {
        registry.scrape(body, type);
      } catch (RuntimeException e) {
        reply(
            exchange, 500, "text/plain; charset=utf-8", "Scrape failed: " + e.getMessage() + "\n");
        return;
      }
      exchange.getResponseHeaders().set("Content-Type", type);
      if (method.equals("HEAD")) {
        exchange.sendResponseHeaders(200, -1);
        return;
      }
      exchange.sendResponseHeaders(200, body.size());
      try (OutputStream out = exchange.getResponseBody()) {
        body.writeTo(out);
      }
    }
  }

  private static void reply(HttpExchange exchange, int status, String type, String text)
      throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** Stops serving at once; the registry stays open (its owner closes it). */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
