package io.streamtrain.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetLocatorTest {
  @TempDir Path tmp;

  private Path home() {
    return tmp.resolve("home");
  }

  private Path systemDir() {
    return tmp.resolve("usr/share/datasets/fashion-mnist");
  }

  private DatasetLocator locator(Map<String, String> env) {
    return new DatasetLocator(env, home(), systemDir(), Optional.empty());
  }

  @Test
  void shouldPreferExplicitDirectoryOverEverythingElse() {
    Path explicit = IdxFiles.writeFashionMnist(tmp.resolve("explicit"), 1, 1);
    IdxFiles.writeFashionMnist(tmp.resolve("env"), 1, 1);
    IdxFiles.writeFashionMnist(systemDir(), 1, 1);

    DatasetLocator.Location location =
        locator(Map.of("STREAMTRAIN_DATA", tmp.resolve("env").toString()))
            .locate(Optional.of(explicit));

    assertEquals(new DatasetLocator.Location(explicit, DatasetLocator.Source.EXPLICIT), location);
  }

  @Test
  void shouldFailWithoutFallbackWhenExplicitDirectoryIsMissing() {
    IdxFiles.writeFashionMnist(systemDir(), 1, 1);
    Path missing = tmp.resolve("nope");

    DatasetException e =
        assertThrows(DatasetException.class, () -> locator(Map.of()).locate(Optional.of(missing)));

    assertTrue(
        e.getMessage().startsWith("--data " + missing + ": no such directory"), e.getMessage());
  }

  @Test
  void shouldNameMissingFilesOfAnIncompleteExplicitDirectory() throws Exception {
    Path explicit = IdxFiles.writeFashionMnist(tmp.resolve("partial"), 1, 1);
    Files.delete(explicit.resolve("t10k-labels-idx1-ubyte.gz"));

    DatasetException e =
        assertThrows(DatasetException.class, () -> locator(Map.of()).locate(Optional.of(explicit)));

    assertTrue(e.getMessage().contains("lacks t10k-labels-idx1-ubyte.gz"), e.getMessage());
  }

  @Test
  void shouldUseTheEnvironmentVariableBeforeTheSystemPackage() {
    Path fromEnv = IdxFiles.writeFashionMnist(tmp.resolve("env"), 1, 1);
    IdxFiles.writeFashionMnist(systemDir(), 1, 1);

    DatasetLocator.Location location =
        locator(Map.of("STREAMTRAIN_DATA", fromEnv.toString())).locate(Optional.empty());

    assertEquals(new DatasetLocator.Location(fromEnv, DatasetLocator.Source.ENVIRONMENT), location);
  }

  @Test
  void shouldFailWhenTheEnvironmentVariablePointsNowhere() {
    IdxFiles.writeFashionMnist(systemDir(), 1, 1);

    DatasetException e =
        assertThrows(
            DatasetException.class,
            () -> locator(Map.of("STREAMTRAIN_DATA", "/no/such/dir")).locate(Optional.empty()));

    assertTrue(
        e.getMessage().startsWith("$STREAMTRAIN_DATA=/no/such/dir: no such directory"),
        e.getMessage());
  }

  @Test
  void shouldFindTheSystemPackageDirectory() {
    IdxFiles.writeFashionMnist(systemDir(), 1, 1);

    assertEquals(
        new DatasetLocator.Location(systemDir(), DatasetLocator.Source.SYSTEM_PACKAGE),
        locator(Map.of()).locate(Optional.empty()));
  }

  @Test
  void shouldUseAFilledCacheUnderXdgCacheHome() {
    Path cache = tmp.resolve("xdg/streamtrain/fashion-mnist");
    IdxFiles.writeFashionMnist(cache, 1, 1);

    DatasetLocator locator = locator(Map.of("XDG_CACHE_HOME", tmp.resolve("xdg").toString()));

    assertEquals(cache, locator.cacheDir());
    assertEquals(
        new DatasetLocator.Location(cache, DatasetLocator.Source.CACHE),
        locator.locate(Optional.empty()));
  }

  @Test
  void shouldDefaultTheCacheToTheHomeDirectory() {
    assertEquals(home().resolve(".cache/streamtrain/fashion-mnist"), locator(Map.of()).cacheDir());
    assertEquals(
        home().resolve(".cache/streamtrain/fashion-mnist"),
        locator(Map.of("XDG_CACHE_HOME", "relative/ignored")).cacheDir());
  }

  @Test
  void shouldDownloadIntoTheCacheWhenNothingElseHasTheData() throws Exception {
    Map<String, byte[]> files = new LinkedHashMap<>();
    for (Split split : Split.values()) {
      files.put(FashionMnist.imagesFileName(split), IdxFiles.gzip(IdxFiles.images(2, 28, 28)));
      files.put(FashionMnist.labelsFileName(split), IdxFiles.gzip(IdxFiles.labels(2)));
    }
    Map<String, String> sums = new LinkedHashMap<>();
    for (Map.Entry<String, byte[]> file : files.entrySet()) {
      sums.put(
          file.getKey(),
          HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(file.getValue())));
    }
    try (LoopbackFileServer server = new LoopbackFileServer(files)) {
      DatasetLocator locator =
          new DatasetLocator(
              Map.of(), home(), systemDir(), Optional.of(new Downloader(server.baseUri(), sums)));

      DatasetLocator.Location first = locator.locate(Optional.empty());
      DatasetLocator.Location second = locator.locate(Optional.empty());

      assertEquals(DatasetLocator.Source.DOWNLOADED, first.source());
      assertEquals(DatasetLocator.Source.CACHE, second.source());
      assertEquals(2, FashionMnist.load(first.dir(), Split.TEST).count());
      assertEquals(4, server.requests().size());
    }
  }

  @Test
  void shouldSayInOneLineHowToGetTheDataWhenNothingWorks() throws Exception {
    java.net.URI unreachable;
    try (LoopbackFileServer server = new LoopbackFileServer(Map.of())) {
      unreachable = server.baseUri();
    }
    DatasetLocator locator =
        new DatasetLocator(
            Map.of(), home(), systemDir(), Optional.of(Downloader.fashionMnist(unreachable)));

    DatasetException e =
        assertThrows(DatasetException.class, () -> locator.locate(Optional.empty()));

    String message = e.getMessage();
    assertFalse(message.contains("\n"), message);
    assertTrue(message.startsWith("Fashion-MNIST not found; tried --data (not given)"), message);
    assertTrue(message.contains(systemDir() + " (missing)"), message);
    assertTrue(message.contains("apt-get install dataset-fashion-mnist"), message);
    assertTrue(message.contains("--data DIR"), message);
    assertTrue(message.contains("allow network access to " + unreachable), message);
  }
}
