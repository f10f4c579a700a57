package io.streamtrain.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.schema.NamedTensor;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PthFilesTest {
  @TempDir Path dir;

  private static final List<NamedTensor> TENSORS =
      List.of(
          Tensors.float32("layer.weight", new long[] {2, 3}, new float[] {1, -2, 3.5f, 0, -0f, 6}),
          Tensors.float32("layer.bias", new long[] {2}, new float[] {Float.MIN_VALUE, 1e30f}),
          Tensors.int64Scalar("bn.num_batches_tracked", 1L << 40));

  private String refusal(byte[] bytes) throws Exception {
    Path file = dir.resolve("bad.pth");
    Files.write(file, bytes);
    String message =
        assertThrows(IllegalArgumentException.class, () -> PthFiles.read(file)).getMessage();
    assertFalse(message.contains("\n"), message);
    return message;
  }

  private static byte[] zip(String pickleEntry, byte[] pickle, String... otherEntries)
      throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream out = new ZipOutputStream(bytes)) {
      out.putNextEntry(stored(pickleEntry, pickle));
      out.write(pickle);
      for (String name : otherEntries) {
        out.putNextEntry(stored(name, new byte[4]));
        out.write(new byte[4]);
      }
    }
    return bytes.toByteArray();
  }

  private static ZipEntry stored(String name, byte[] data) {
    ZipEntry entry = new ZipEntry(name);
    entry.setMethod(ZipEntry.STORED);
    entry.setSize(data.length);
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(data);
    entry.setCrc(crc.getValue());
    return entry;
  }

  @Test
  void shouldRefuseCompressedEntriesAndOverlappingViews() throws Exception {
    ByteArrayOutputStream deflated = new ByteArrayOutputStream();
    try (ZipOutputStream out = new ZipOutputStream(deflated)) {
      out.putNextEntry(new ZipEntry("archive/data.pkl"));
      out.write(PickleWriter.stateDict(List.of()));
    }
    String compressed = refusal(deflated.toByteArray());
    assertTrue(compressed.contains("is compressed"), compressed);

    // A 1-element storage viewed as 1000 elements with stride 0 (what expand() saves).
    byte[] pickle =
        PickleReaderTest.pickle(
            0x80,
            2,
            "ccollections\nOrderedDict\n)R(X",
            1,
            0,
            0,
            0,
            "t",
            "ctorch._utils\n_rebuild_tensor_v2\n((X",
            7,
            0,
            0,
            0,
            "storage",
            "ctorch\nFloatStorage\nX",
            1,
            0,
            0,
            0,
            "0X",
            3,
            0,
            0,
            0,
            "cpuK",
            1,
            "tQK",
            0,
            "M",
            0xe8,
            3,
            0x85,
            "K",
            0,
            0x85,
            0x89,
            "ccollections\nOrderedDict\n)RtRu.");
    String overlapping = refusal(zip("archive/data.pkl", pickle, "archive/data/0"));
    assertTrue(overlapping.contains("has 1000 elements, more than its storage's 1"), overlapping);
  }

  @Test
  void shouldRoundTripEveryByteInOrder() throws Exception {
    Path file = dir.resolve("m.pth");
    Files.write(file, PthFiles.write(TENSORS));
    List<NamedTensor> read = PthFiles.read(file);
    assertEquals(TENSORS.size(), read.size());
    for (int i = 0; i < TENSORS.size(); i++) {
      assertEquals(TENSORS.get(i).getName(), read.get(i).getName());
      assertEquals(TENSORS.get(i).getShape(), read.get(i).getShape());
      assertEquals(TENSORS.get(i).getDtype(), read.get(i).getDtype());
      assertEquals(TENSORS.get(i).getData(), read.get(i).getData());
    }
  }

  @Test
  void shouldLayOutTheArchiveAsTorchSaveDoes() throws Exception {
    byte[] bytes = PthFiles.write(TENSORS);
    Path file = dir.resolve("m.pth");
    Files.write(file, bytes);
    try (ZipFile zip = new ZipFile(file.toFile())) {
      List<String> names = Collections.list(zip.entries()).stream().map(ZipEntry::getName).toList();
      assertEquals(
          List.of(
              "archive/data.pkl",
              "archive/byteorder",
              "archive/data/0",
              "archive/data/1",
              "archive/data/2",
              "archive/version"),
          names);
      for (ZipEntry entry : Collections.list(zip.entries())) {
        assertEquals(ZipEntry.STORED, entry.getMethod(), entry.getName());
      }
      assertEquals(
          "3\n",
          new String(
              zip.getInputStream(zip.getEntry("archive/version")).readAllBytes(),
              StandardCharsets.US_ASCII));
    }
    // Storage bytes start on a 64-byte boundary (PyTorch can then map them in place).
    byte[] weight = new byte[24];
    TENSORS.get(0).getData().duplicate().get(weight);
    int at = indexOf(bytes, weight);
    assertTrue(at > 0 && at % 64 == 0, "weight data at " + at);
    // Deterministic: the same tensors give the same file.
    assertArrayEquals(bytes, PthFiles.write(TENSORS));
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Test
  void shouldRefuseATruncatedArchive() throws Exception {
    byte[] full = PthFiles.write(TENSORS);
    String message = refusal(java.util.Arrays.copyOf(full, full.length / 2));
    assertTrue(message.contains("truncated or not a zip"), message);
  }

  @Test
  void shouldRefuseAFileThatIsNotAZip() throws Exception {
    String message = refusal("just some text, not a model".getBytes(StandardCharsets.US_ASCII));
    assertTrue(message.contains("is not a zip archive"), message);
    assertTrue(refusal(new byte[0]).contains("is not a zip archive"));
  }

  @Test
  void shouldRefuseAZipThatIsNotATorchSave() throws Exception {
    String message = refusal(zip("notes/readme.txt", new byte[] {1}));
    assertTrue(message.contains("data.pkl"), message);
  }

  @Test
  void shouldRefuseAHostilePickleInsideTheArchive() throws Exception {
    byte[] pickle =
        PickleReaderTest.pickle(
            0x80, 2, "cposix\nsystem\nX", 10, 0, 0, 0, "touch pwnd", 0x85, "R.");
    String message = refusal(zip("archive/data.pkl", pickle));
    assertTrue(message.contains("posix.system"), message);
    assertFalse(Files.exists(Path.of("pwnd")));
  }

  @Test
  void shouldRefuseAStorageSmallerThanItsPickleSays() throws Exception {
    // The pickle says 6 floats (24 bytes) but the entry holds 4 bytes.
    byte[] pickle = PickleWriter.stateDict(List.of(TENSORS.get(0)));
    String message = refusal(zip("archive/data.pkl", pickle, "archive/data/0"));
    assertTrue(message.contains("storage data/0 holds 4 bytes"), message);
    String missing = refusal(zip("archive/data.pkl", pickle));
    assertTrue(missing.contains("lacks the storage data/0"), missing);
  }

  @Test
  void shouldRefuseAPickleThatIsNotAStateDict() throws Exception {
    String message =
        refusal(zip("archive/data.pkl", PickleReaderTest.pickle(0x80, 2, "K", 7, ".")));
    assertTrue(message.contains("not a state dict"), message);
  }
}
