package io.streamtrain.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The TorchScript modules this process knows, by SHA-256: a spec string names a module by its hash
 * ({@code torchscript:HASH@CxHxW}), and {@link ModelSpec#parse} finds it here. Content-addressed
 * and append-only, so sharing it process-wide is safe: an entry never changes meaning. A module
 * enters from a file ({@code torchscript:PATH}), from its bytes (the definitions topic), or through
 * the fetcher an application installs to look missing hashes up in Kafka.
 */
public final class TorchScriptModules {
  private static final Map<String, TorchScriptModule> BY_SPEC = new ConcurrentHashMap<>();
  private static final Map<String, byte[]> BYTES = new ConcurrentHashMap<>();
  private static final Map<String, String> FILES = new ConcurrentHashMap<>();
  private static volatile Function<String, Optional<byte[]>> fetcher = hash -> Optional.empty();

  private TorchScriptModules() {}

  /**
   * The module in {@code file} fed {@code input}; read, hashed and checked once per file version
   * (path, size and modification time), since every spec parse of the run comes here.
   */
  static TorchScriptModule fromFile(Path file, int[] input) {
    Path absolute = file.toAbsolutePath().normalize();
    if (!Files.isRegularFile(absolute)) {
      throw new IllegalArgumentException(
          "TorchScript module " + file + " does not exist; save one with torch.jit.save");
    }
    String version;
    try {
      long size = Files.size(absolute);
      if (size > TorchScriptArchive.MAX_BYTES) {
        throw new IllegalArgumentException(
            "module "
                + file
                + " is "
                + size
                + " bytes, over the limit of "
                + TorchScriptArchive.MAX_BYTES
                + " bytes ("
                + (TorchScriptArchive.MAX_BYTES >> 20)
                + " MiB) for a module");
      }
      version = absolute + "|" + size + "|" + Files.getLastModifiedTime(absolute).toMillis();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read module " + file + ": " + e.getMessage(), e);
    }
    String hash = FILES.get(version);
    if (hash != null) {
      TorchScriptModule known = BY_SPEC.get(key(hash, input));
      if (known != null) {
        return known;
      }
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(absolute);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read module " + file + ": " + e.getMessage(), e);
    }
    TorchScriptModule module = register(bytes, input, file.toString());
    FILES.put(version, module.sha256());
    return module;
  }

  /** Checks {@code bytes} as a module fed {@code input} and remembers it by its hash. */
  public static TorchScriptModule register(byte[] bytes, int[] input, String source) {
    String hash = TorchScriptModule.sha256(bytes);
    TorchScriptModule known = BY_SPEC.get(key(hash, input));
    if (known != null) {
      return known;
    }
    TorchScriptModule module = TorchScriptModule.of(bytes, input, source);
    BY_SPEC.putIfAbsent(key(hash, input), module);
    BYTES.putIfAbsent(hash, module.archiveBytes());
    return BY_SPEC.get(key(hash, input));
  }

  /**
   * The module of hash {@code hash} fed {@code input}: known here, or fetched (and its hash
   * checked) through the installed fetcher. Empty when neither has it.
   */
  static Optional<TorchScriptModule> find(String hash, int[] input) {
    TorchScriptModule known = BY_SPEC.get(key(hash, input));
    if (known != null) {
      return Optional.of(known);
    }
    byte[] bytes = BYTES.get(hash);
    if (bytes == null) {
      bytes = fetcher.apply(hash).orElse(null);
      if (bytes == null) {
        return Optional.empty();
      }
      String actual = TorchScriptModule.sha256(bytes);
      if (!actual.equals(hash)) {
        throw new IllegalArgumentException(
            "the module fetched for " + hash + " has SHA-256 " + actual + ": refusing it");
      }
    }
    return Optional.of(register(bytes, input, "sha256:" + hash.substring(0, 12)));
  }

  /** The archive bytes of a module known here by {@code hash}, to publish it. */
  public static Optional<byte[]> bytes(String hash) {
    return Optional.ofNullable(BYTES.get(hash)).map(byte[]::clone);
  }

  /**
   * Installs how missing modules are looked up by hash (the application's definitions topic). The
   * fetched bytes are checked against the hash before use.
   */
  public static void fetchWith(Function<String, Optional<byte[]>> lookup) {
    fetcher = lookup == null ? hash -> Optional.empty() : lookup;
  }

  private static String key(String hash, int[] input) {
    return hash + Arrays.toString(input);
  }
}
