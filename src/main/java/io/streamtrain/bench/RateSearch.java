package io.streamtrain.bench;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One phase of the prediction benchmark ("idle", "training"): a warm-up, then one fixed-rate trial,
 * or with {@code --find-max} the search for the highest rate whose p99 stays under {@code
 * --p99-target-ms} with nothing lost, doubling until a rate fails, then bisecting to 10 %.
 */
final class RateSearch {
  private final PredictionOptions options;
  private final LoadGenerator load;
  private final PrintStream err;

  RateSearch(PredictionOptions options, LoadGenerator load, PrintStream err) {
    this.options = options;
    this.load = load;
    this.err = err;
  }

  /**
   * A warm-up, then one fixed-rate trial, or the rate search with {@code findMax}. Each phase warms
   * up: the first lets the JIT settle (broker, Streams and client code), the training phase lets
   * the trainer get going.
   */
  void phase(String phase, List<Trial> trials, Map<String, Trial> best) throws Exception {
    if (!options.warmup().isZero()) {
      err.printf(
          Locale.ROOT,
          "Warm-up (%s): %.0f requests/s for %d s%n",
          phase,
          options.rate(),
          options.warmup().toSeconds());
      load.trial("warm-up", options.rate(), options.warmup());
    }
    if (!options.findMax()) {
      Trial t = load.trial(phase, options.rate(), options.duration());
      trials.add(t);
      if (t.sustained()) {
        best.put(phase, t);
      }
      return;
    }
    Trial bestTrial = null;
    double rate = options.rate();
    double failed = Double.NaN;
    while (Double.isNaN(failed) && rate <= 1_000_000) {
      Trial t = attempts(phase, rate, trials);
      if (t.sustained()) {
        bestTrial = t;
        rate *= 2;
      } else {
        failed = rate;
      }
    }
    double sustained = bestTrial == null ? 0 : bestTrial.offeredRate();
    // Bisect between the best sustained and the lowest failed rate, to within 10 %.
    while (!Double.isNaN(failed)
        && failed - sustained > Math.max(0.1 * Math.max(sustained, 1), 50)) {
      double mid = Math.round((sustained + failed) / 2 / 50) * 50.0;
      if (mid <= sustained || mid >= failed) {
        break;
      }
      Trial t = attempts(phase, mid, trials);
      if (t.sustained()) {
        bestTrial = t;
        sustained = mid;
      } else {
        failed = mid;
      }
    }
    if (bestTrial != null) {
      best.put(phase, bestTrial);
    }
  }

  /**
   * Up to {@code --attempts} trials at one rate, stopping at the first sustained one: a rate counts
   * as sustained when one attempt kept the bound, so that a burst from another process on a shared
   * machine does not end the search (every attempt is reported).
   */
  private Trial attempts(String phase, double rate, List<Trial> trials) throws Exception {
    Trial t = null;
    for (int attempt = 0; attempt < options.attempts(); attempt++) {
      t = load.trial(phase, rate, options.duration());
      trials.add(t);
      if (t.sustained()) {
        break;
      }
    }
    return t;
  }
}
