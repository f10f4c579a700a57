package io.streamtrain.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DownloaderTest {
  @TempDir Path dir;

  private final byte[] images = IdxFiles.gzip(IdxFiles.images(3, 28, 28));
  private final byte[] labels = IdxFiles.gzip(IdxFiles.labels(3));
  private final Map<String, byte[]> served = Map.of("a-images.gz", images, "a-labels.gz", labels);

  @Test
  void shouldDownloadAndVerifyEveryFile() throws Exception {
    try (LoopbackFileServer server = new LoopbackFileServer(served)) {
      Downloader downloader = new Downloader(server.baseUri(), checksumsOf(served));

      Downloader.Result result = downloader.ensure(dir);

      assertEquals(
          List.of(dir.resolve("a-images.gz"), dir.resolve("a-labels.gz")), result.downloaded());
      assertArrayEquals(images, Files.readAllBytes(dir.resolve("a-images.gz")));
      assertEquals(3, IdxReader.readLabels(dir.resolve("a-labels.gz")).length);
      assertEquals(List.of(), partFiles());
    }
  }

  @Test
  void shouldNotDownloadFilesAlreadyPresentAndVerified() throws Exception {
    Files.write(dir.resolve("a-images.gz"), images);
    try (LoopbackFileServer server = new LoopbackFileServer(served)) {
      Downloader downloader = new Downloader(server.baseUri(), checksumsOf(served));

      Downloader.Result result = downloader.ensure(dir);

      assertEquals(List.of("a-labels.gz"), server.requests());
      assertEquals(List.of(dir.resolve("a-images.gz")), result.alreadyPresent());
      assertEquals(List.of(dir.resolve("a-labels.gz")), result.downloaded());
    }
  }

  @Test
  void shouldReplaceAPresentFileWithAWrongChecksum() throws Exception {
    Files.write(dir.resolve("a-images.gz"), new byte[] {1, 2, 3});
    try (LoopbackFileServer server = new LoopbackFileServer(served)) {
      new Downloader(server.baseUri(), checksumsOf(served)).ensure(dir);

      assertArrayEquals(images, Files.readAllBytes(dir.resolve("a-images.gz")));
    }
  }

  @Test
  void shouldDeleteTheDownloadOnChecksumMismatch() throws Exception {
    Map<String, String> expected = new LinkedHashMap<>(checksumsOf(served));
    expected.put("a-labels.gz", "00".repeat(32));
    try (LoopbackFileServer server = new LoopbackFileServer(served)) {
      Downloader downloader = new Downloader(server.baseUri(), expected);

      DatasetException e = assertThrows(DatasetException.class, () -> downloader.ensure(dir));

      assertTrue(
          e.getMessage()
              .startsWith(
                  "checksum mismatch for "
                      + server.baseUri()
                      + "a-labels.gz: SHA-256 "
                      + sha256(labels)
                      + ", expected "
                      + "00".repeat(32)),
          e.getMessage());
      assertTrue(e.getMessage().contains("deleted the download"), e.getMessage());
      assertFalse(Files.exists(dir.resolve("a-labels.gz")));
      assertEquals(List.of(), partFiles());
    }
  }

  @Test
  void shouldReportHttp404InOneLine() throws Exception {
    Map<String, String> expected = Map.of("missing.gz", "00".repeat(32));
    try (LoopbackFileServer server = new LoopbackFileServer(served)) {
      Downloader downloader = new Downloader(server.baseUri(), expected);

      DatasetException e = assertThrows(DatasetException.class, () -> downloader.ensure(dir));

      assertTrue(
          e.getMessage()
              .startsWith("download of " + server.baseUri() + "missing.gz failed: HTTP 404"),
          e.getMessage());
      assertFalse(e.getMessage().contains("\n"));
      assertEquals(List.of(), partFiles());
    }
  }

  @Test
  void shouldReportAnUnreachableServer() throws Exception {
    java.net.URI base;
    try (LoopbackFileServer server = new LoopbackFileServer(served)) {
      base = server.baseUri();
    }
    Downloader downloader = new Downloader(base, checksumsOf(served));

    DatasetException e = assertThrows(DatasetException.class, () -> downloader.ensure(dir));

    assertTrue(e.getMessage().contains("failed: ConnectException"), e.getMessage());
  }

  @Test
  void shouldCarryTheOfficialFashionMnistChecksums() {
    assertEquals(FashionMnist.fileNames(), List.copyOf(Downloader.FASHION_MNIST_SHA256.keySet()));
    assertEquals(
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        Downloader.FASHION_MNIST_SHA256.get("train-images-idx3-ubyte.gz"));
  }

  private List<Path> partFiles() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".part")).toList();
    }
  }

  private static Map<String, String> checksumsOf(Map<String, byte[]> files) throws Exception {
    Map<String, String> sums = new LinkedHashMap<>();
    for (String name : files.keySet().stream().sorted().toList()) {
      sums.put(name, sha256(files.get(name)));
    }
    return sums;
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
