package io.streamtrain.serving;

import ai.djl.Device;
import io.streamtrain.model.InferenceModel;
import io.streamtrain.model.ModelSpec;
import io.streamtrain.model.StateDicts;
import io.streamtrain.schema.ImageEncoding;
import io.streamtrain.schema.LabeledImage;
import io.streamtrain.schema.ModelSnapshot;
import io.streamtrain.schema.NamedTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Tiny models (2x2 grayscale input, 10 classes) whose answer encodes their version: all weights
 * zero and the last bias one-hot at {@code version % 10}, so every prediction's label tells which
 * model computed it, whatever the input.
 */
public final class VersionedModels {
  public static final String ARCHITECTURE = "mlp:4-8-10";
  public static final ModelSpec SPEC = ModelSpec.parse(ARCHITECTURE);

  private VersionedModels() {}

  /** A verified-checksum snapshot of the model answering {@code version % 10}. */
  public static ModelSnapshot snapshot(String modelName, long version) {
    List<String> names = SPEC.parameterNames();
    List<long[]> shapes = SPEC.parameterShapes();
    List<NamedTensor> tensors = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      long elements = 1;
      List<Long> shape = new ArrayList<>();
      for (long d : shapes.get(i)) {
        elements *= d;
        shape.add(d);
      }
      float[] values = new float[(int) elements];
      if (i == names.size() - 1) {
        values[(int) (version % 10)] = 5f;
      }
      ByteBuffer bytes =
          ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
      bytes.asFloatBuffer().put(values);
      tensors.add(new NamedTensor(names.get(i), shape, "float32", bytes));
    }
    return ModelSnapshot.newBuilder()
        .setModelName(modelName)
        .setVersion(version)
        .setEpoch(0)
        .setCreatedAt(Instant.EPOCH)
        .setArchitecture(SPEC.toString())
        .setTensors(tensors)
        .setOptimizerState(List.of())
        .setSha256(StateDicts.sha256(tensors, List.of()))
        .setInputOffsets(Map.of())
        .setMetrics(Map.of())
        .build();
  }

  public static InferenceModel model(long version) {
    return StateDicts.toInferenceModel(snapshot("m", version), Device.cpu());
  }

  /** An unlabeled 2x2 request as a client would send it to images.infer. */
  public static LabeledImage request(String id) {
    return LabeledImage.newBuilder()
        .setId(id)
        .setHeight(2)
        .setWidth(2)
        .setChannels(1)
        .setEncoding(ImageEncoding.RAW)
        .setData(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}))
        .build();
  }
}
