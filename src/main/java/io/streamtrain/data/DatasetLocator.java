package io.streamtrain.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the Fashion-MNIST files, in this order: an explicit {@code --data DIR} (an error if it does
 * not hold them, no fallback), {@code $STREAMTRAIN_DATA} (likewise an error if set but wrong: a
 * configured location that silently loses to another would surprise), Debian/Ubuntu's {@code
 * dataset-fashion-mnist} package directory, then a cache directory ({@code
 * $XDG_CACHE_HOME/streamtrain/fashion-mnist} or {@code ~/.cache/streamtrain/fashion-mnist}) that it
 * downloads the official files into when a {@link Downloader} is given and the network allows. When
 * nothing works, one line says how to get the data.
 *
 * <p>The environment, home directory, package directory and downloader are constructor arguments so
 * tests can replace them.
 */
public final class DatasetLocator {
  public static final String ENV_VAR = "STREAMTRAIN_DATA";
  public static final Path DEBIAN_PACKAGE_DIR = Path.of("/usr/share/datasets/fashion-mnist");

  /** Where the files were found. */
  public enum Source {
    EXPLICIT,
    ENVIRONMENT,
    SYSTEM_PACKAGE,
    CACHE,
    DOWNLOADED
  }

  /** The directory holding the four files, and how it was found. */
  public record Location(Path dir, Source source) {}

  private final Map<String, String> env;
  private final Path userHome;
  private final Path systemPackageDir;
  private final Optional<Downloader> downloader;

  /**
   * @param env environment variables (System.getenv() in production)
   * @param userHome the user's home directory, for the default cache
   * @param systemPackageDir Debian's package directory ({@link #DEBIAN_PACKAGE_DIR})
   * @param downloader fills the cache; empty means never download
   */
  public DatasetLocator(
      Map<String, String> env,
      Path userHome,
      Path systemPackageDir,
      Optional<Downloader> downloader) {
    this.env = Map.copyOf(env);
    this.userHome = userHome;
    this.systemPackageDir = systemPackageDir;
    this.downloader = downloader;
  }

  /** The real environment, home, Debian directory and the official download location. */
  public static DatasetLocator standard() {
    return new DatasetLocator(
        System.getenv(),
        Path.of(System.getProperty("user.home")),
        DEBIAN_PACKAGE_DIR,
        Optional.of(Downloader.fashionMnist()));
  }

  /** The cache directory downloads go to. */
  public Path cacheDir() {
    String xdg = env.get("XDG_CACHE_HOME");
    // The XDG spec says relative values are invalid and must be ignored.
    Path base =
        xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()
            ? Path.of(xdg)
            : userHome.resolve(".cache");
    return base.resolve("streamtrain").resolve("fashion-mnist");
  }

  /**
   * Finds the dataset directory.
   *
   * @param explicitDir the {@code --data} value, empty when not given
   */
  public Location locate(Optional<Path> explicitDir) {
    if (explicitDir.isPresent()) {
      return new Location(
          require(explicitDir.get(), "--data " + explicitDir.get()), Source.EXPLICIT);
    }
    String fromEnv = env.get(ENV_VAR);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return new Location(
          require(Path.of(fromEnv), "$" + ENV_VAR + "=" + fromEnv), Source.ENVIRONMENT);
    }
    List<String> tried = new ArrayList<>();
    tried.add("--data (not given)");
    tried.add("$" + ENV_VAR + " (unset)");
    Optional<Path> system = FashionMnist.findFiles(systemPackageDir);
    if (system.isPresent()) {
      return new Location(system.get(), Source.SYSTEM_PACKAGE);
    }
    tried.add(systemPackageDir + " (" + describeAbsence(systemPackageDir) + ")");
    Path cache = cacheDir();
    if (downloader.isEmpty()) {
      Optional<Path> cached = FashionMnist.findFiles(cache);
      if (cached.isPresent()) {
        return new Location(cached.get(), Source.CACHE);
      }
      tried.add(cache + " (" + describeAbsence(cache) + ", downloads disabled)");
    } else {
      try {
        Downloader.Result result = downloader.get().ensure(cache);
        return new Location(
            cache, result.downloaded().isEmpty() ? Source.CACHE : Source.DOWNLOADED);
      } catch (DatasetException e) {
        tried.add(cache + " (" + withoutHint(e.getMessage()) + ")");
      }
    }
    throw new DatasetException(
        "Fashion-MNIST not found; tried "
            + String.join(", ", tried)
            + ". Get it with `sudo apt-get install dataset-fashion-mnist`, pass --data DIR"
            + " (a directory with the four IDX files), or allow network access to "
            + downloader.map(d -> d.baseUri().toString()).orElse("the official mirror"));
  }

  private static Path require(Path dir, String what) {
    if (!Files.isDirectory(dir)) {
      throw new DatasetException(
          what
              + ": no such directory; pass a directory holding"
              + " Fashion-MNIST's four IDX files (train/t10k images and labels)");
    }
    return FashionMnist.findFiles(dir)
        .orElseThrow(
            () ->
                new DatasetException(
                    what
                        + " lacks "
                        + String.join(", ", FashionMnist.missingFiles(dir))
                        + "; pass a directory holding Fashion-MNIST's four IDX files"));
  }

  /** The cause part of a one-line message, without its "; how to fix" tail. */
  private static String withoutHint(String message) {
    int hint = message.indexOf("; ");
    return hint < 0 ? message : message.substring(0, hint);
  }

  private static String describeAbsence(Path dir) {
    if (!Files.isDirectory(dir)) {
      return "missing";
    }
    return "lacks " + String.join(", ", FashionMnist.missingFiles(dir));
  }
}
