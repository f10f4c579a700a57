package io.streamtrain.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.schema.ImageEncoding;
import io.streamtrain.schema.LabeledImage;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabeledImagesTest {
  @TempDir Path dir;

  @Test
  void shouldMakeRawRecordsFromAnIdxDataset() {
    Path data = IdxFiles.writeFashionMnist(dir, 130, 2);
    LabeledDataset train = FashionMnist.load(data, Split.TRAIN);

    LabeledImage image = LabeledImages.fromDataset(train, 123);

    assertEquals("fashion-mnist-train-00123", image.getId());
    assertEquals("train-images-idx3-ubyte.gz#123", image.getSource());
    assertEquals(ImageEncoding.RAW, image.getEncoding());
    assertEquals(28, image.getHeight());
    assertEquals(28, image.getWidth());
    assertEquals(1, image.getChannels());
    assertEquals(3, image.getLabel());
    assertEquals("Dress", image.getClassName());
    assertEquals(ByteBuffer.wrap(train.image(123)), image.getData());
    assertEquals(784, image.getData().remaining());
    ImageTensors.validate(image, FashionMnist.IMAGE_SHAPE, 10, true);
  }

  @Test
  void shouldPadIdsToFiveDigitsAndKeepLongerIndices() {
    assertEquals("fashion-mnist-test-00000", LabeledImages.datasetImageId("fashion-mnist-test", 0));
    assertEquals("x-123456", LabeledImages.datasetImageId("x", 123456));
  }

  @Test
  void shouldReadASinglePngFileUnlabeled() {
    byte[] png = TestImages.encode(TestImages.gray(28, 28), "png");
    Path file = IdxFiles.write(dir.resolve("shoe.png"), png);

    LabeledImage image = LabeledImages.fromFile(file);

    assertEquals(ImageEncoding.PNG, image.getEncoding());
    assertEquals(28, image.getHeight());
    assertEquals(1, image.getChannels());
    assertNull(image.getLabel());
    assertEquals(file.toString(), image.getSource());
    assertEquals(784, ImageTensors.toTensor(image).length);
  }

  @Test
  void shouldReadJpegHeaderShape() {
    byte[] jpeg = TestImages.encode(TestImages.rgb(9, 11), "jpeg");

    LabeledImage image = LabeledImages.fromFile(IdxFiles.write(dir.resolve("a.jpg"), jpeg));

    assertEquals(ImageEncoding.JPEG, image.getEncoding());
    assertEquals(9, image.getHeight());
    assertEquals(11, image.getWidth());
    assertEquals(3, image.getChannels());
  }

  @Test
  void shouldRejectAFileThatIsNotAnImage() {
    Path file = IdxFiles.write(dir.resolve("x.png"), "hello".getBytes());

    InvalidImageException e =
        assertThrows(InvalidImageException.class, () -> LabeledImages.fromFile(file));

    assertEquals(InvalidImageException.Kind.UNDECODABLE_IMAGE, e.kind());
    assertEquals(file + ": data is neither PNG nor JPEG; pass a PNG or JPEG image", e.getMessage());
  }

  @Test
  void shouldRejectAMissingFile() {
    DatasetException e =
        assertThrows(DatasetException.class, () -> LabeledImages.fromFile(dir.resolve("none.png")));

    assertTrue(e.getMessage().contains("no such file"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }
}
