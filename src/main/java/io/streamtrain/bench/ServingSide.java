package io.streamtrain.bench;

/** What serves a benchmark's requests, as the load generator sums it up per trial. */
interface ServingSide {
  /** Forward passes so far. */
  long batches();

  /** Requests answered so far. */
  long answered();

  long largestBatch();

  /** The oldest model version any instance serves; -1 before any. */
  long minServedVersion();

  long maxServedVersion();

  long modelSwaps();

  /** Throws what stopped the serving side, if anything did. */
  void throwIfFailed();
}
