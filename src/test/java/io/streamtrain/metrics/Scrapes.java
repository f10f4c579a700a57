package io.streamtrain.metrics;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** Scrapes a /metrics endpoint over HTTP and reads the Prometheus text format's samples. */
final class Scrapes {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private Scrapes() {}

  static HttpResponse<String> get(URI uri, String accept) {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10));
    if (accept != null) {
      request.header("Accept", accept);
    }
    try {
      return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException("GET " + uri + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted during GET " + uri, e);
    }
  }

  /** Sample name with its labels ({@code name{a="b",...}}) to value, from the text format. */
  static Map<String, Double> samples(String body) {
    Map<String, Double> samples = new HashMap<>();
    for (String line : body.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
    }
    return samples;
  }

  /** The value of the one sample named {@code name} whose labels include all of {@code labels}. */
  static double value(Map<String, Double> samples, String name, String... labels) {
    Double found = null;
    for (Map.Entry<String, Double> e : samples.entrySet()) {
      String key = e.getKey();
      boolean nameMatches = key.equals(name) || key.startsWith(name + "{");
      boolean labelsMatch = true;
      for (String label : labels) {
        labelsMatch &= key.contains(label);
      }
      if (nameMatches && labelsMatch) {
        if (found != null) {
          throw new AssertionError(
              "More than one sample " + name + " with " + String.join(",", labels));
        }
        found = e.getValue();
      }
    }
    if (found == null) {
      throw new AssertionError(
          "No sample "
              + name
              + " with "
              + String.join(",", labels)
              + " in "
              + new java.util.TreeSet<>(samples.keySet()));
    }
    return found;
  }
}
