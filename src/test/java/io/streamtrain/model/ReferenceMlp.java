package io.streamtrain.model;

import io.streamtrain.schema.NamedTensor;
import java.util.ArrayList;
import java.util.List;

/** A double-precision MLP with hand-written backprop and PyTorch's SGD/Adam, to check Learner. */
final class ReferenceMlp {
  final ModelSpec spec;
  final List<double[]> params = new ArrayList<>();
  final List<double[]> buffers = new ArrayList<>();
  final List<double[]> squares = new ArrayList<>();
  long adamStep;

  ReferenceMlp(ModelSpec spec, List<NamedTensor> stateDict) {
    this.spec = spec;
    for (NamedTensor tensor : stateDict) {
      float[] values = Tensors.floats(tensor);
      double[] copy = new double[values.length];
      for (int i = 0; i < values.length; i++) {
        copy[i] = values[i];
      }
      params.add(copy);
    }
  }

  /** Returns the mean cross-entropy loss; fills grads (state-dict order). */
  double lossAndGradients(float[] x, int[] labels, int n, List<double[]> grads) {
    int layers = spec.numLinearLayers();
    grads.clear();
    for (double[] p : params) {
      grads.add(new double[p.length]);
    }
    double loss = 0;
    for (int e = 0; e < n; e++) {
      List<double[]> activations = new ArrayList<>();
      List<double[]> preActivations = new ArrayList<>();
      double[] a = new double[spec.inputFeatures()];
      for (int i = 0; i < a.length; i++) {
        a[i] = x[e * a.length + i];
      }
      activations.add(a);
      for (int l = 0; l < layers; l++) {
        int in = spec.widths().get(l);
        int out = spec.widths().get(l + 1);
        double[] w = params.get(2 * l);
        double[] b = params.get(2 * l + 1);
        double[] z = new double[out];
        for (int o = 0; o < out; o++) {
          double s = b[o];
          for (int i = 0; i < in; i++) {
            s += w[o * in + i] * a[i];
          }
          z[o] = s;
        }
        preActivations.add(z);
        a = new double[out];
        for (int o = 0; o < out; o++) {
          a[o] = l == layers - 1 ? z[o] : Math.max(0, z[o]);
        }
        activations.add(a);
      }
      double[] logits = a;
      double max = Double.NEGATIVE_INFINITY;
      for (double v : logits) {
        max = Math.max(max, v);
      }
      double sum = 0;
      for (double v : logits) {
        sum += Math.exp(v - max);
      }
      loss += -(logits[labels[e]] - max - Math.log(sum));
      double[] dz = new double[logits.length];
      for (int c = 0; c < logits.length; c++) {
        dz[c] = (Math.exp(logits[c] - max) / sum - (c == labels[e] ? 1 : 0)) / n;
      }
      for (int l = layers - 1; l >= 0; l--) {
        int in = spec.widths().get(l);
        int out = spec.widths().get(l + 1);
        double[] prev = activations.get(l);
        double[] w = params.get(2 * l);
        double[] gw = grads.get(2 * l);
        double[] gb = grads.get(2 * l + 1);
        double[] dPrev = new double[in];
        for (int o = 0; o < out; o++) {
          gb[o] += dz[o];
          for (int i = 0; i < in; i++) {
            gw[o * in + i] += dz[o] * prev[i];
            dPrev[i] += w[o * in + i] * dz[o];
          }
        }
        if (l > 0) {
          double[] zPrev = preActivations.get(l - 1);
          for (int i = 0; i < in; i++) {
            dPrev[i] = zPrev[i] > 0 ? dPrev[i] : 0;
          }
        }
        dz = dPrev;
      }
    }
    return loss / n;
  }

  void sgdStep(float[] x, int[] labels, int n, double lr, double momentum, double wd) {
    List<double[]> grads = new ArrayList<>();
    lossAndGradients(x, labels, n, grads);
    boolean first = buffers.isEmpty();
    for (int p = 0; p < params.size(); p++) {
      double[] w = params.get(p);
      double[] g = grads.get(p);
      if (first) {
        buffers.add(new double[w.length]);
      }
      double[] v = buffers.get(p);
      for (int i = 0; i < w.length; i++) {
        double d = g[i] + wd * w[i];
        if (momentum != 0) {
          v[i] = first ? d : momentum * v[i] + d;
          d = v[i];
        }
        w[i] -= lr * d;
      }
    }
  }

  void adamStep(float[] x, int[] labels, int n, double lr, double wd) {
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    List<double[]> grads = new ArrayList<>();
    lossAndGradients(x, labels, n, grads);
    adamStep++;
    for (int p = 0; p < params.size(); p++) {
      double[] w = params.get(p);
      if (buffers.size() <= p) {
        buffers.add(new double[w.length]);
        squares.add(new double[w.length]);
      }
      double[] m = buffers.get(p);
      double[] v = squares.get(p);
      double[] g = grads.get(p);
      for (int i = 0; i < w.length; i++) {
        double gi = g[i] + wd * w[i];
        m[i] = beta1 * m[i] + (1 - beta1) * gi;
        v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
        double mHat = m[i] / (1 - Math.pow(beta1, adamStep));
        double denom = Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(beta2, adamStep)) + eps;
        w[i] -= lr * mHat / denom;
      }
    }
  }
}
