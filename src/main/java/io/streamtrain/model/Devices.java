package io.streamtrain.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Chooses the DJL device for {@code --device auto|cpu|gpu}. */
public final class Devices {
  private static final Logger LOG = LoggerFactory.getLogger(Devices.class);

  private Devices() {}

  /**
   * Returns the device for a {@code --device} value: "cpu"; "gpu" (fails with one line when PyTorch
   * sees no CUDA GPU); "auto" (the first GPU when present, else the CPU; a CUDA build of the natives
   * without a usable GPU logs one warning line and uses the CPU).
   */
  public static Device select(String choice) {
    String normalized = choice == null ? "auto" : choice.trim().toLowerCase(Locale.ROOT);
    Engine engine = Torch.engine();
    switch (normalized) {
      case "cpu":
        return Device.cpu();
      case "gpu":
        if (engine.getGpuCount() == 0) {
          throw new IllegalArgumentException(
              "--device gpu was requested but PyTorch sees no CUDA GPU"
                  + (engine.hasCapability(StandardCapabilities.CUDA)
                      ? " (CUDA natives are loaded; check the driver and CUDA_VISIBLE_DEVICES)"
                      : " (the CPU-only natives are loaded; build with -Pcuda)")
                  + "; use --device cpu or --device auto");
        }
        return Device.gpu();
      case "auto":
        if (engine.getGpuCount() > 0) {
          return Device.gpu();
        }
        if (engine.hasCapability(StandardCapabilities.CUDA)) {
          LOG.warn("CUDA build of PyTorch but no usable GPU found: training on the CPU");
        }
        return Device.cpu();
      default:
        throw new IllegalArgumentException(
            "unknown device '" + choice + "'; use --device auto, cpu or gpu");
    }
  }
}
