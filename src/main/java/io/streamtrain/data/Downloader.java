package io.streamtrain.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads dataset files over HTTP(S) into a directory, each to a temporary file in that directory
 * that is moved into place atomically only after its SHA-256 matched. Files already present with
 * the right checksum are not downloaded again; present files with a wrong checksum are replaced.
 */
public final class Downloader {
  /** Where Zalando Research publishes Fashion-MNIST. */
  public static final URI FASHION_MNIST_BASE_URI =
      URI.create("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/");

  /**
   * SHA-256 of the four official Fashion-MNIST .gz files (their published MD5s are
   * 8d4fb7e6c68d591d4c3dfef9ec88bf0d, 25c81989df183df01b3e8a0aad5dffbe,
   * bef4ecab320f06d8554ea6380940ec79, bb300cfdad3c16e7a12a480ee83cd310). Sources, which agree:
   * tensorflow/datasets tensorflow_datasets/url_checksums/fashion_mnist.txt and Britefury/batchup
   * batchup/datasets/fashion_mnist.py. Debian's dataset-fashion-mnist package recompresses the
   * files, so its .gz files hash differently (same content once decompressed).
   */
  public static final Map<String, String> FASHION_MNIST_SHA256 =
      orderedMap(
          "train-images-idx3-ubyte.gz",
          "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
          "train-labels-idx1-ubyte.gz",
          "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
          "t10k-images-idx3-ubyte.gz",
          "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
          "t10k-labels-idx1-ubyte.gz",
          "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5");

  private static final Logger log = LoggerFactory.getLogger(Downloader.class);
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(30);

  private final URI baseUri;
  private final Map<String, String> expectedSha256;
  private final HttpClient client;

  /**
   * @param baseUri directory URL the file names are resolved against (a trailing slash is added)
   * @param expectedSha256 file name to lower-case hex SHA-256, in download order
   */
  public Downloader(URI baseUri, Map<String, String> expectedSha256) {
    String base = baseUri.toString();
    this.baseUri = URI.create(base.endsWith("/") ? base : base + "/");
    this.expectedSha256 = orderedCopy(expectedSha256);
    this.client =
        HttpClient.newBuilder()
            .connectTimeout(CONNECT_TIMEOUT)
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build();
  }

  /** The official Fashion-MNIST files from {@code baseUri} (a mirror of the official files). */
  public static Downloader fashionMnist(URI baseUri) {
    return new Downloader(baseUri, FASHION_MNIST_SHA256);
  }

  /** The official Fashion-MNIST files from their official location. */
  public static Downloader fashionMnist() {
    return fashionMnist(FASHION_MNIST_BASE_URI);
  }

  public URI baseUri() {
    return baseUri;
  }

  /** What {@link #ensure} did. */
  public record Result(List<Path> downloaded, List<Path> alreadyPresent) {
    public Result {
      downloaded = List.copyOf(downloaded);
      alreadyPresent = List.copyOf(alreadyPresent);
    }
  }

  /**
   * Makes {@code dir} hold every file with its expected checksum, downloading what is missing or
   * wrong. Throws a {@link DatasetException} naming the file on any HTTP, I/O or checksum error.
   */
  public Result ensure(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new DatasetException("cannot create download directory " + dir + ": " + e, e);
    }
    List<Path> downloaded = new ArrayList<>();
    List<Path> present = new ArrayList<>();
    for (Map.Entry<String, String> file : expectedSha256.entrySet()) {
      Path target = dir.resolve(file.getKey());
      if (Files.isRegularFile(target)) {
        String actual = sha256(target);
        if (actual.equals(file.getValue())) {
          present.add(target);
          continue;
        }
        log.warn(
            "{} has SHA-256 {}, expected {}; downloading it again",
            target,
            actual,
            file.getValue());
      }
      download(file.getKey(), file.getValue(), target);
      downloaded.add(target);
    }
    return new Result(downloaded, present);
  }

  private void download(String name, String expected, Path target) {
    URI uri = baseUri.resolve(name);
    log.info("downloading {}", uri);
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(RESPONSE_TIMEOUT).GET().build();
    Path temp;
    try {
      temp = Files.createTempFile(target.getParent(), name + ".", ".part");
    } catch (IOException e) {
      throw new DatasetException("cannot create a file in " + target.getParent() + ": " + e, e);
    }
    try {
      HttpResponse<InputStream> response =
          client.send(request, HttpResponse.BodyHandlers.ofInputStream());
      String actual;
      try (InputStream body = response.body()) {
        if (response.statusCode() != 200) {
          throw new DatasetException(
              "download of "
                  + uri
                  + " failed: HTTP "
                  + response.statusCode()
                  + "; check the URL or use --data DIR with the files");
        }
        MessageDigest digest = newSha256();
        try (InputStream in = new DigestInputStream(body, digest);
            OutputStream out = Files.newOutputStream(temp)) {
          in.transferTo(out);
        }
        actual = HexFormat.of().formatHex(digest.digest());
      }
      if (!actual.equals(expected)) {
        throw new DatasetException(
            "checksum mismatch for "
                + uri
                + ": SHA-256 "
                + actual
                + ", expected "
                + expected
                + "; deleted the download, check the mirror or use --data DIR");
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DatasetException("download of " + uri + " interrupted", e);
    } catch (IOException e) {
      throw new DatasetException(
          "download of "
              + uri
              + " failed: "
              + describe(e)
              + "; allow network access or use --data DIR with the files",
          e);
    } finally {
      deleteQuietly(temp);
    }
  }

  /** Lower-case hex SHA-256 of a file. */
  public static String sha256(Path file) {
    MessageDigest digest = newSha256();
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
      in.transferTo(OutputStream.nullOutputStream());
    } catch (IOException e) {
      throw new DatasetException("cannot read " + file + ": " + e, e);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  private static String describe(IOException e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : " " + message);
  }

  private static void deleteQuietly(Path temp) {
    try {
      Files.deleteIfExists(temp);
    } catch (IOException e) {
      // The download's own outcome matters more; a left-over .part file is harmless.
      log.warn("cannot delete {}: {}", temp, e.toString());
    }
  }

  private static Map<String, String> orderedMap(String... keysAndValues) {
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      map.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return java.util.Collections.unmodifiableMap(map);
  }

  private static Map<String, String> orderedCopy(Map<String, String> source) {
    return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(source));
  }
}
