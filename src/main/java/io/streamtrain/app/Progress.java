package io.streamtrain.app;

import java.io.PrintStream;
import java.util.Locale;

/** A one-line progress bar with rate and ETA on stderr, redrawn at most ten times a second. */
public final class Progress {
  private final PrintStream out;
  private final String label;
  private final long total;
  private final long startNanos = System.nanoTime();
  private long lastDrawNanos;
  private final boolean enabled;

  public Progress(PrintStream out, String label, long total) {
    this.out = out;
    this.label = label;
    this.total = total;
    this.enabled = !Boolean.getBoolean("streamtrain.quiet");
  }

  public void update(long done) {
    long now = System.nanoTime();
    if (!enabled || (now - lastDrawNanos < 100_000_000L && done < total)) {
      return;
    }
    lastDrawNanos = now;
    double seconds = Math.max((now - startNanos) / 1e9, 1e-9);
    double rate = done / seconds;
    int width = 30;
    int filled = total > 0 ? (int) Math.min(width, width * done / total) : 0;
    String bar = "#".repeat(filled) + "-".repeat(width - filled);
    String eta =
        total > 0 && rate > 0 ? String.format(Locale.ROOT, "%.0fs", (total - done) / rate) : "?";
    out.printf(
        Locale.ROOT, "\r%s [%s] %,d/%,d  %,.0f/s  ETA %s   ", label, bar, done, total, rate, eta);
    if (done >= total) {
      out.println();
    }
    out.flush();
  }

  public double seconds() {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}
