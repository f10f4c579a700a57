package io.streamtrain.bench;

import io.streamtrain.app.Errors;
import io.streamtrain.app.Pipeline;
import io.streamtrain.data.DatasetLocator;
import io.streamtrain.data.FashionMnist;
import io.streamtrain.data.LabeledDataset;
import io.streamtrain.data.LabeledImages;
import io.streamtrain.data.Split;
import io.streamtrain.schema.ImageEncoding;
import io.streamtrain.schema.LabeledImage;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.apache.kafka.common.serialization.Serializer;

/** Serialized request values, sent round-robin; the key (the request id) makes each unique. */
record Requests(List<byte[]> values, String source) {
  static Requests load(Path dataDir, Pipeline pipeline, PrintStream err) {
    Serializer<LabeledImage> serializer = pipeline.serde(LabeledImage.class).serializer();
    String topic = pipeline.names().imagesInfer();
    List<byte[]> values = new ArrayList<>();
    String source;
    Optional<LabeledDataset> test = fashionMnistTest(dataDir, err);
    if (test.isPresent()) {
      LabeledDataset dataset = test.get();
      for (int i = 0; i < dataset.count(); i++) {
        LabeledImage image = LabeledImages.fromDataset(dataset, i);
        // A request carries no label; the Avro record is otherwise the test image as produced.
        image.setLabel(null);
        image.setClassName(null);
        values.add(serializer.serialize(topic, image));
      }
      source = "Fashion-MNIST test images (" + dataset.count() + ")";
    } else {
      SplittableRandom random = new SplittableRandom(7);
      for (int i = 0; i < 1000; i++) {
        byte[] pixels = new byte[28 * 28];
        for (int p = 0; p < pixels.length; p++) {
          pixels[p] = (byte) random.nextInt(256);
        }
        LabeledImage image =
            LabeledImage.newBuilder()
                .setId("generated-" + i)
                .setHeight(28)
                .setWidth(28)
                .setChannels(1)
                .setEncoding(ImageEncoding.RAW)
                .setData(ByteBuffer.wrap(pixels))
                .build();
        values.add(serializer.serialize(topic, image));
      }
      source = "generated 28x28 images (1000; Fashion-MNIST not found)";
    }
    return new Requests(values, source);
  }

  private static Optional<LabeledDataset> fashionMnistTest(Path dataDir, PrintStream err) {
    try {
      Path dir = DatasetLocator.standard().locate(Optional.ofNullable(dataDir)).dir();
      return Optional.of(FashionMnist.load(dir, Split.TEST));
    } catch (RuntimeException e) {
      if (dataDir != null) {
        throw e; // the user named a directory: do not silently measure something else
      }
      err.println("Fashion-MNIST not found (" + Errors.oneLine(e) + "): using generated images");
      return Optional.empty();
    }
  }
}
