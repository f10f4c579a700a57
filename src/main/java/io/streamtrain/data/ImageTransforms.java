package io.streamtrain.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The image transforms between decoding and the model's input ({@code --transforms SPEC}), as
 * torchvision would apply them: comma-separated steps, in order.
 *
 * <ul>
 *   <li>{@code resize:HxW}: bilinear, align_corners=false, no antialiasing, computed in float32 as
 *       PyTorch's upsample_bilinear2d and rounded half-to-even back to uint8 (torchvision's {@code
 *       resize} of a uint8 tensor with {@code antialias=False}; not PIL's antialiased resize).
 *   <li>{@code gray} / {@code rgb}: PIL's {@code convert("L")}, in Pillow's integer form {@code
 *       (R*19595 + G*38470 + B*7471 + 0x8000) >> 16} (ITU-R 601-2: R*299/1000 + G*587/1000 +
 *       B*114/1000, rounded); gray to RGB replicates the value.
 *   <li>{@code crop:P}: training only, RandomCrop(size, padding=P) with zero padding.
 *   <li>{@code hflip}: training only, RandomHorizontalFlip(p=0.5).
 *   <li>{@code normalize:M1/M2/M3:S1/S2/S3}: per channel {@code (x - mean) / std} in float32 on the
 *       ToTensor values; it must be the last step, as it works on the tensor, not on pixels.
 * </ul>
 *
 * <p>Pixel steps work on uint8 HWC, so a training example stays as compact as today. The random
 * draws of the augmentation come from {@link #draws}: a pure function of (seed, epoch, feed
 * partition, feed offset), so a replay or a recovery rebuilds the same pixels. The empty spec is
 * the identity and costs nothing.
 */
public final class ImageTransforms {
  public static final ImageTransforms NONE = new ImageTransforms(List.of());

  /** Epoch mixed into the draws of a live record, which has no epoch. */
  public static final int LIVE_EPOCH = -1;

  private static final String GRAMMAR =
      "resize:HxW, gray, rgb, crop:P, hflip, normalize:MEANS:STDS (e.g."
          + " resize:32x32,rgb,crop:4,hflip,normalize:0.4914/0.4822/0.4465:0.2470/0.2435/0.2616)";

  /** One step of the pipeline. */
  sealed interface Step permits Resize, Channels, Crop, Flip, Normalize {}

  record Resize(int height, int width) implements Step {
    @Override
    public String toString() {
      return "resize:" + height + "x" + width;
    }
  }

  record Channels(int channels) implements Step {
    @Override
    public String toString() {
      return channels == 1 ? "gray" : "rgb";
    }
  }

  record Crop(int padding) implements Step {
    @Override
    public String toString() {
      return "crop:" + padding;
    }
  }

  record Flip() implements Step {
    @Override
    public String toString() {
      return "hflip";
    }
  }

  record Normalize(float[] means, float[] stds) implements Step {
    @Override
    public String toString() {
      return "normalize:" + join(means) + ":" + join(stds);
    }

    private static String join(float[] values) {
      StringBuilder s = new StringBuilder();
      for (int i = 0; i < values.length; i++) {
        s.append(i == 0 ? "" : "/").append(values[i]);
      }
      return s.toString();
    }
  }

  private final List<Step> steps;
  private final Normalize normalize;
  private final boolean augments;
  private final String spec;

  private ImageTransforms(List<Step> steps) {
    this.steps = List.copyOf(steps);
    this.normalize =
        steps.isEmpty() || !(steps.get(steps.size() - 1) instanceof Normalize n) ? null : n;
    this.augments = steps.stream().anyMatch(s -> s instanceof Crop || s instanceof Flip);
    this.spec = String.join(",", steps.stream().map(Step::toString).toList());
  }

  /** Parses a spec (see the class comment); null or blank is {@link #NONE}. */
  public static ImageTransforms parse(String spec) {
    if (spec == null || spec.isBlank()) {
      return NONE;
    }
    List<Step> steps = new ArrayList<>();
    for (String part : spec.split(",", -1)) {
      String step = part.trim().toLowerCase(Locale.ROOT);
      if (!steps.isEmpty() && steps.get(steps.size() - 1) instanceof Normalize) {
        throw bad(spec, "normalize must be the last step (it works on the tensor), found " + step);
      }
      steps.add(step(spec, step));
    }
    return new ImageTransforms(steps);
  }

  private static Step step(String spec, String step) {
    String name = step.contains(":") ? step.substring(0, step.indexOf(':')) : step;
    String args = step.contains(":") ? step.substring(step.indexOf(':') + 1) : "";
    switch (name) {
      case "gray", "rgb" -> {
        if (!args.isEmpty()) {
          throw bad(spec, name + " takes no argument");
        }
        return new Channels(name.equals("gray") ? 1 : 3);
      }
      case "hflip" -> {
        if (!args.isEmpty()) {
          throw bad(spec, "hflip takes no argument (it flips with probability 0.5)");
        }
        return new Flip();
      }
      case "resize" -> {
        String[] hw = args.split("x", -1);
        if (hw.length != 2) {
          throw bad(spec, "resize needs HxW, e.g. resize:32x32");
        }
        int h = positive(spec, "resize height", hw[0]);
        int w = positive(spec, "resize width", hw[1]);
        if ((long) h * w > 1 << 24) {
          throw bad(spec, "resize:" + args + " is larger than 16,777,216 pixels");
        }
        return new Resize(h, w);
      }
      case "crop" -> {
        int p = positive(spec, "crop padding", args);
        if (p > 1024) {
          throw bad(spec, "crop padding " + p + " is above 1024");
        }
        return new Crop(p);
      }
      case "normalize" -> {
        String[] ms = args.split(":", -1);
        if (ms.length != 2) {
          throw bad(spec, "normalize needs MEANS:STDS, e.g. normalize:0.5/0.5/0.5:0.25/0.25/0.25");
        }
        float[] means = floats(spec, "mean", ms[0]);
        float[] stds = floats(spec, "std", ms[1]);
        if (means.length != stds.length) {
          throw bad(spec, "normalize has " + means.length + " means but " + stds.length + " stds");
        }
        for (float s : stds) {
          if (!(s > 0)) {
            throw bad(spec, "normalize stds must be positive, got " + s);
          }
        }
        return new Normalize(means, stds);
      }
      default -> throw bad(spec, "unknown step '" + step + "'");
    }
  }

  private static int positive(String spec, String what, String text) {
    try {
      int v = Integer.parseInt(text.trim());
      if (v > 0) {
        return v;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw bad(spec, what + " must be a positive integer, got '" + text + "'");
  }

  private static float[] floats(String spec, String what, String text) {
    String[] parts = text.split("/", -1);
    float[] values = new float[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        values[i] = Float.parseFloat(parts[i].trim());
      } catch (NumberFormatException e) {
        throw bad(spec, "normalize " + what + " '" + parts[i] + "' is not a number");
      }
      if (!Float.isFinite(values[i])) {
        throw bad(spec, "normalize " + what + " '" + parts[i] + "' is not finite");
      }
    }
    return values;
  }

  private static IllegalArgumentException bad(String spec, String why) {
    return new IllegalArgumentException(
        "--transforms '" + spec + "': " + why + "; steps are " + GRAMMAR);
  }

  /** The canonical spec (what snapshots carry); "" for no transform. */
  public String spec() {
    return spec;
  }

  @Override
  public String toString() {
    return spec;
  }

  public boolean isEmpty() {
    return steps.isEmpty();
  }

  /** Whether a step draws at random (crop, hflip): training applies them, prediction does not. */
  public boolean augments() {
    return augments;
  }

  /** The shape an image of shape {@code in} has after the pixel steps. */
  public ImageShape outputShape(ImageShape in) {
    int[] fixed = fixedShape();
    return new ImageShape(
        fixed[0] > 0 ? fixed[0] : in.height(),
        fixed[1] > 0 ? fixed[1] : in.width(),
        fixed[2] > 0 ? fixed[2] : in.channels());
  }

  /** Height, width and channels the steps set whatever the input, 0 where they keep the input's. */
  private int[] fixedShape() {
    int[] fixed = new int[3];
    for (Step step : steps) {
      if (step instanceof Resize r) {
        fixed[0] = r.height();
        fixed[1] = r.width();
      } else if (step instanceof Channels ch) {
        fixed[2] = ch.channels();
      }
    }
    return fixed;
  }

  /**
   * Refuses, with one line naming both shapes, a model input that the transforms' output cannot be:
   * a resize to another size, a channel conversion to other channels, a normalisation with another
   * channel count. Images of any other size are then dead-lettered one by one.
   *
   * @param architecture the model's spec, for the message
   */
  public void checkFits(ImageShape modelInput, String architecture) {
    int[] fixed = fixedShape();
    Integer h = fixed[0] > 0 ? fixed[0] : null;
    Integer w = fixed[1] > 0 ? fixed[1] : null;
    Integer c = fixed[2] > 0 ? fixed[2] : null;
    String produced =
        (h == null ? "H" : h) + "x" + (w == null ? "W" : w) + "x" + (c == null ? "C" : c);
    boolean fits =
        (h == null || h == modelInput.height())
            && (w == null || w == modelInput.width())
            && (c == null || c == modelInput.channels());
    if (!fits) {
      // A scripted module's input is a flag, not part of a built-in spec.
      String remedy =
          architecture.startsWith("torchscript:") && h != null && w != null && c != null
              ? "give --input-shape " + c + "x" + h + "x" + w + " if the module takes that"
              : "choose an architecture for " + produced;
      throw new IllegalArgumentException(
          "--transforms "
              + spec
              + " produce "
              + produced
              + " images (HxWxC) but --architecture "
              + architecture
              + " takes "
              + modelInput
              + ": end the transforms at the model's input or "
              + remedy);
    }
    if (normalize != null
        && normalize.means().length != 1
        && normalize.means().length != modelInput.channels()) {
      throw new IllegalArgumentException(
          "--transforms "
              + spec
              + " normalise "
              + normalize.means().length
              + " channels but --architecture "
              + architecture
              + " takes "
              + modelInput
              + ": give one mean and std per channel");
    }
  }

  /**
   * The random source of one record's augmentation: a pure function of the run's seed, the epoch
   * ({@link #LIVE_EPOCH} for live records) and the record's feed partition and offset.
   */
  public static SplittableRandom draws(long seed, int epoch, int partition, long offset) {
    long mixed = mix(seed ^ 0x5DEECE66DL);
    mixed = mix(mixed + epoch);
    mixed = mix(mixed + partition);
    mixed = mix(mixed + offset);
    return new SplittableRandom(mixed);
  }

  // SplitMix64's finaliser: nearby inputs give unrelated outputs.
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /**
   * Applies the pixel steps to uint8 HWC pixels of {@code shape}.
   *
   * @param draws the record's augmentation draws, or null to skip crop and hflip (prediction,
   *     evaluation)
   * @return the transformed pixels, of {@link #outputShape}; {@code hwc} itself when nothing
   *     changed
   */
  public byte[] apply(byte[] hwc, ImageShape shape, SplittableRandom draws) {
    byte[] pixels = hwc;
    int h = shape.height();
    int w = shape.width();
    int c = shape.channels();
    for (Step step : steps) {
      if (step instanceof Resize r) {
        if (r.height() != h || r.width() != w) {
          pixels = PixelKernels.resize(pixels, h, w, c, r.height(), r.width());
          h = r.height();
          w = r.width();
        }
      } else if (step instanceof Channels ch) {
        if (ch.channels() != c) {
          pixels =
              ch.channels() == 1
                  ? PixelKernels.gray(pixels, h * w)
                  : PixelKernels.rgb(pixels, h * w);
          c = ch.channels();
        }
      } else if (step instanceof Crop crop) {
        if (draws != null) {
          int top = draws.nextInt(2 * crop.padding() + 1);
          int left = draws.nextInt(2 * crop.padding() + 1);
          pixels = PixelKernels.crop(pixels, h, w, c, crop.padding(), top, left);
        }
      } else if (step instanceof Flip) {
        if (draws != null && draws.nextBoolean()) {
          pixels = PixelKernels.hflip(pixels, h, w, c);
        }
      }
    }
    return pixels;
  }

  /**
   * ToTensor of uint8 HWC pixels of {@code shape} into {@code dst[at ..]} as CHW floats, then the
   * normalisation if any: {@code (x - mean) / std} in float32, as torchvision's Normalize.
   */
  public void toTensor(byte[] hwc, int from, ImageShape shape, float[] dst, int at) {
    ImageTensors.toTensor(hwc, from, shape.height(), shape.width(), shape.channels(), dst, at);
    if (normalize != null) {
      PixelKernels.normalize(
          normalize.means(),
          normalize.stds(),
          dst,
          at,
          shape.height() * shape.width(),
          shape.channels());
    }
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ImageTransforms t && t.spec.equals(spec);
  }

  @Override
  public int hashCode() {
    return spec.hashCode();
  }
}
