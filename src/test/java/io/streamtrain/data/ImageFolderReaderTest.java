package io.streamtrain.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.schema.ImageEncoding;
import io.streamtrain.schema.LabeledImage;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderReaderTest {
  @TempDir Path root;

  @Test
  void shouldLabelSortedClassFoldersAndSkipNonImagesCounting() throws Exception {
    byte[] grayPng = TestImages.encode(TestImages.gray(6, 5), "png");
    byte[] rgbJpeg = TestImages.encode(TestImages.rgb(4, 7), "jpeg");
    byte[] rgbPng = TestImages.encode(TestImages.rgb(3, 3), "png");
    IdxFiles.write(root.resolve("zebra/b.png"), grayPng);
    IdxFiles.write(root.resolve("zebra/a.jpg"), rgbJpeg);
    IdxFiles.write(root.resolve("apple/nested/deep.png"), rgbPng);
    IdxFiles.write(root.resolve("apple/notes.txt"), "not an image".getBytes());
    IdxFiles.write(root.resolve("apple/broken.png"), Arrays.copyOf(grayPng, grayPng.length / 2));
    IdxFiles.write(root.resolve("apple/photo.jpeg.png"), rgbJpeg); // content decides, not the name
    IdxFiles.write(root.resolve("README"), "top-level file".getBytes());

    ImageFolderReader reader = new ImageFolderReader(root);
    List<LabeledImage> images = new ArrayList<>();
    ImageFolderReader.Summary summary = reader.read(images::add);

    assertEquals(List.of("apple", "zebra"), reader.classNames());
    assertEquals(4, summary.images());
    assertEquals(3, summary.skipped());
    assertEquals(
        List.of("apple/photo.jpeg.png", "apple/nested/deep.png", "zebra/a.jpg", "zebra/b.png"),
        images.stream().map(LabeledImage::getSource).toList());
    assertTrue(summary.skippedFiles().stream().anyMatch(s -> s.startsWith("apple/notes.txt")));
    assertTrue(summary.skippedFiles().stream().anyMatch(s -> s.startsWith("apple/broken.png")));
    assertTrue(summary.skippedFiles().stream().anyMatch(s -> s.startsWith("README")));

    LabeledImage jpeg = images.get(2);
    assertEquals(1, jpeg.getLabel());
    assertEquals("zebra", jpeg.getClassName());
    assertEquals(ImageEncoding.JPEG, jpeg.getEncoding());
    assertEquals(4, jpeg.getHeight());
    assertEquals(7, jpeg.getWidth());
    assertEquals(3, jpeg.getChannels());
    assertEquals(ByteBuffer.wrap(rgbJpeg), jpeg.getData());

    LabeledImage gray = images.get(3);
    assertEquals(ImageEncoding.PNG, gray.getEncoding());
    assertEquals(1, gray.getChannels());
    assertEquals(6, gray.getHeight());
    assertEquals(5, gray.getWidth());

    LabeledImage nested = images.get(1);
    assertEquals(0, nested.getLabel());
    assertEquals("apple/nested/deep.png", nested.getId());
  }

  @Test
  void shouldRejectARootWithoutClassFolders() throws Exception {
    Files.writeString(root.resolve("a.png"), "x");

    DatasetException e = assertThrows(DatasetException.class, () -> new ImageFolderReader(root));

    assertTrue(e.getMessage().contains("has no class subfolders"), e.getMessage());
  }

  @Test
  void shouldRejectAMissingRoot() {
    DatasetException e =
        assertThrows(DatasetException.class, () -> new ImageFolderReader(root.resolve("missing")));

    assertTrue(
        e.getMessage()
            .endsWith(
                "no such directory; pass an ImageFolder root"
                    + " (one subfolder per class holding PNG/JPEG files)"),
        e.getMessage());
  }
}
