package io.streamtrain.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A scripted HTTP server for client tests: answers "METHOD /raw/path" with canned status and body
 * (404 otherwise) and records every request it receives.
 */
final class StubRegistry implements AutoCloseable {
  record Request(
      String method, String path, String authorization, String contentType, String body) {}

  private record Answer(int status, String contentType, String body) {}

  private final HttpServer server;
  private final Map<String, Answer> answers = new ConcurrentHashMap<>();
  final List<Request> requests = new CopyOnWriteArrayList<>();

  StubRegistry() {
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext("/", this::handle);
    server.start();
  }

  /** Answers {@code method path} with {@code status} and a Confluent JSON body. */
  StubRegistry answer(String method, String path, int status, String json) {
    answers.put(
        method + " " + path, new Answer(status, RestSchemaRegistryClient.CONTENT_TYPE, json));
    return this;
  }

  /** Answers {@code method path} with a non-JSON body, as proxies do. */
  StubRegistry answerText(String method, String path, int status, String contentType, String text) {
    answers.put(method + " " + path, new Answer(status, contentType, text));
    return this;
  }

  String url() {
    return "http://localhost:" + server.getAddress().getPort();
  }

  int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getRawPath();
      requests.add(
          new Request(
              exchange.getRequestMethod(),
              path,
              exchange.getRequestHeaders().getFirst("Authorization"),
              exchange.getRequestHeaders().getFirst("Content-Type"),
              new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
      Answer answer =
          answers.getOrDefault(
              exchange.getRequestMethod() + " " + path,
              new Answer(
                  404,
                  RestSchemaRegistryClient.CONTENT_TYPE,
                  "{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}"));
      byte[] body = answer.body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", answer.contentType);
      exchange.sendResponseHeaders(answer.status, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
