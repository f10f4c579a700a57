package io.streamtrain.training;

import java.util.SplittableRandom;

/**
 * The order in which a shuffle window's examples are batched: a permutation seeded by (seed, epoch,
 * window-in-epoch) for an epoch window, by its first feed offset for a live window, so that either
 * is a function of the feed and the seed alone.
 */
final class WindowShuffle {
  // Live windows shuffle by their first feed offset, a function of the feed like epoch windows'.
  private static final int LIVE_SALT = -1;

  private WindowShuffle() {}

  static int[] order(ShuffleWindow window, long seed) {
    long salt =
        window.live
            ? mix(seed, LIVE_SALT, (int) window.firstOffset) ^ (window.firstOffset >>> 32)
            : mix(seed, window.epoch, window.windowInEpoch);
    return permutation(window.count, new SplittableRandom(salt));
  }

  /** A Fisher-Yates permutation of 0..n-1 drawn from {@code random}. */
  static int[] permutation(int n, SplittableRandom random) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  static long mix(long seed, int epoch, int windowInEpoch) {
    long h = seed * 0x9E3779B97F4A7C15L;
    h ^= (long) epoch * 0xC2B2AE3D27D4EB4FL;
    h ^= (long) windowInEpoch * 0x165667B19E3779F9L;
    return h;
  }
}
