package io.streamtrain.registry;

import io.streamtrain.schema.ImageEncoding;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.MetricKind;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.NamedTensor;
import io.streamtrain.schema.Prediction;
import io.streamtrain.schema.TrainingMetric;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Small records of each generated type for the registry tests. */
final class TestRecords {
  private TestRecords() {}

  static LabeledImage image(int index) {
    byte[] pixels = new byte[784];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (byte) (i * 31 + index);
    }
    return LabeledImage.newBuilder()
        .setId("train-" + index)
        .setHeight(28)
        .setWidth(28)
        .setChannels(1)
        .setEncoding(ImageEncoding.RAW)
        .setData(ByteBuffer.wrap(pixels))
        .setLabel(index % 10)
        .setClassName("Ankle boot")
        .setSource("train-images-idx3-ubyte.gz#" + index)
        .setEventTime(Instant.ofEpochMilli(1_700_000_000_000L + index))
        .setEpoch(null)
        .build();
  }

  static Prediction prediction() {
    return Prediction.newBuilder()
        .setId("test-0")
        .setLabel(9)
        .setClassName("Ankle boot")
        .setProbabilities(List.of(0.01f, 0.02f, 0.97f))
        .setModelName("mlp")
        .setModelVersion(42L)
        .setTrueLabel(9)
        .setRequestTime(Instant.ofEpochMilli(1_700_000_000_000L))
        .setPredictTime(Instant.ofEpochMilli(1_700_000_000_005L))
        .build();
  }

  static ModelSnapshot snapshot() {
    NamedTensor weight =
        NamedTensor.newBuilder()
            .setName("linear_relu_stack.0.weight")
            .setShape(List.of(2L, 3L))
            .setDtype("float32")
            .setData(ByteBuffer.wrap(new byte[24]))
            .build();
    return ModelSnapshot.newBuilder()
        .setModelName("mlp")
        .setVersion(938L)
        .setEpoch(1)
        .setCreatedAt(Instant.ofEpochMilli(1_700_000_000_000L))
        .setArchitecture("mlp:784-512-512-10")
        .setTensors(List.of(weight))
        .setSha256("ab".repeat(32))
        .setInputOffsets(Map.of("train.feed-0", 60_000L))
        .setMetrics(Map.of("loss", 1.1077))
        .build();
  }

  static TrainingMetric metric() {
    return TrainingMetric.newBuilder()
        .setModelName("mlp")
        .setVersion(938L)
        .setEpoch(1)
        .setStep(938L)
        .setKind(MetricKind.TEST_EPOCH)
        .setLoss(1.1077)
        .setAccuracy(0.646)
        .setCount(10_000L)
        .setTime(Instant.ofEpochMilli(1_700_000_000_000L))
        .build();
  }
}
