package io.streamtrain.data;

/**
 * The pixel arithmetic of {@link ImageTransforms}' steps on uint8 HWC images, each written to match
 * its torchvision or Pillow counterpart bit for bit.
 */
final class PixelKernels {
  private PixelKernels() {}

  /** {@code (x - mean) / std} per channel of CHW floats; one mean or std serves every channel. */
  static void normalize(float[] means, float[] stds, float[] chw, int at, int plane, int channels) {
    for (int ch = 0; ch < channels; ch++) {
      float mean = means[means.length == 1 ? 0 : ch];
      float std = stds[stds.length == 1 ? 0 : ch];
      for (int i = at + ch * plane, end = i + plane; i < end; i++) {
        chw[i] = (chw[i] - mean) / std;
      }
    }
  }

  /** Bilinear resize (align_corners=false, no antialias), float32 weights, rounded to uint8. */
  static byte[] resize(byte[] src, int h, int w, int c, int outH, int outW) {
    int[] y0 = new int[outH];
    int[] y1 = new int[outH];
    float[] ly = new float[outH];
    sourceIndices(h, outH, y0, y1, ly);
    int[] x0 = new int[outW];
    int[] x1 = new int[outW];
    float[] lx = new float[outW];
    sourceIndices(w, outW, x0, x1, lx);
    byte[] out = new byte[outH * outW * c];
    for (int y = 0; y < outH; y++) {
      float h1 = ly[y];
      float h0 = 1f - h1;
      int r0 = y0[y] * w;
      int r1 = y1[y] * w;
      for (int x = 0; x < outW; x++) {
        float w1 = lx[x];
        float w0 = 1f - w1;
        for (int ch = 0; ch < c; ch++) {
          float v =
              h0 * (w0 * px(src, (r0 + x0[x]) * c + ch) + w1 * px(src, (r0 + x1[x]) * c + ch))
                  + h1
                      * (w0 * px(src, (r1 + x0[x]) * c + ch) + w1 * px(src, (r1 + x1[x]) * c + ch));
          out[(y * outW + x) * c + ch] = (byte) Math.max(0, Math.min(255, (int) Math.rint(v)));
        }
      }
    }
    return out;
  }

  /** PyTorch's source index and weight of each output position (align_corners=false). */
  private static void sourceIndices(int in, int out, int[] i0, int[] i1, float[] lambda) {
    float scale = (float) in / out;
    for (int d = 0; d < out; d++) {
      float src = Math.max(0f, scale * (d + 0.5f) - 0.5f);
      int lo = Math.min((int) src, in - 1);
      i0[d] = lo;
      i1[d] = lo < in - 1 ? lo + 1 : lo;
      lambda[d] = Math.min(src - lo, 1f);
    }
  }

  private static float px(byte[] pixels, int i) {
    return pixels[i] & 0xff;
  }

  /** PIL's convert("L"): (R*19595 + G*38470 + B*7471 + 0x8000) >> 16. */
  static byte[] gray(byte[] rgb, int pixels) {
    byte[] out = new byte[pixels];
    for (int p = 0, s = 0; p < pixels; p++, s += 3) {
      int r = rgb[s] & 0xff;
      int g = rgb[s + 1] & 0xff;
      int b = rgb[s + 2] & 0xff;
      out[p] = (byte) ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
    }
    return out;
  }

  /** PIL's convert("RGB") of a gray image: the value in all three channels. */
  static byte[] rgb(byte[] gray, int pixels) {
    byte[] out = new byte[pixels * 3];
    for (int p = 0; p < pixels; p++) {
      out[3 * p] = gray[p];
      out[3 * p + 1] = gray[p];
      out[3 * p + 2] = gray[p];
    }
    return out;
  }

  /**
   * RandomCrop(size=(h, w), padding) at ({@code top}, {@code left}) of the zero-padded image, each
   * in 0..2*padding.
   */
  static byte[] crop(byte[] src, int h, int w, int c, int padding, int top, int left) {
    byte[] out = new byte[h * w * c];
    int dy = top - padding;
    int dx = left - padding;
    for (int y = 0; y < h; y++) {
      int sy = y + dy;
      if (sy < 0 || sy >= h) {
        continue;
      }
      int x0 = Math.max(0, -dx);
      int x1 = Math.min(w, w - dx);
      if (x1 > x0) {
        System.arraycopy(src, (sy * w + x0 + dx) * c, out, (y * w + x0) * c, (x1 - x0) * c);
      }
    }
    return out;
  }

  /** Mirror image left to right. */
  static byte[] hflip(byte[] src, int h, int w, int c) {
    byte[] out = new byte[src.length];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        System.arraycopy(src, (y * w + x) * c, out, (y * w + (w - 1 - x)) * c, c);
      }
    }
    return out;
  }
}
