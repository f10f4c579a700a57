package io.streamtrain.training;

/** A decoded held-out set: {@code count} examples of {@code pixels.length / count} floats each. */
public record TestSet(float[] pixels, int[] labels, int count) {
  public static final TestSet EMPTY = new TestSet(new float[0], new int[0], 0);

  public boolean isEmpty() {
    return count == 0;
  }
}
