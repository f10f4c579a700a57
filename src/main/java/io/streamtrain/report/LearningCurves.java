package io.streamtrain.report;

import io.streamtrain.schema.MetricKind;
import io.streamtrain.schema.TrainingMetric;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToLongFunction;

/**
 * The learning curves of one model run, as plain data a chart or a test can use without Kafka:
 * single-batch losses, prequential (test-then-train) loss and accuracy per step, the test
 * evaluation per epoch, and events such as rollbacks.
 *
 * <p>Built from the model's {@code training.metrics} records in topic order. A record whose step is
 * lower than one already seen means the trainer went back (a restart from scratch, a resume from an
 * older snapshot, a rollback): the points at or after that step are replaced by what follows, so
 * the curves show the run the model's current parameters come from.
 *
 * @param superseded points dropped because a later record replaced them
 */
public record LearningCurves(
    String modelName,
    List<StepPoint> batchLoss,
    List<StepPoint> prequential,
    List<EpochPoint> testEpochs,
    List<Event> events,
    long records,
    long superseded) {

  /**
   * One point on a per-step curve.
   *
   * @param accuracy a fraction, NaN when the record carries none
   * @param imagesPerSecond NaN when the record carries none
   * @param count examples the figure is over
   */
  public record StepPoint(
      long step,
      int epoch,
      double loss,
      double accuracy,
      double imagesPerSecond,
      long count,
      long timeMillis) {}

  /** The test evaluation at the end of one epoch; accuracy is a fraction. */
  public record EpochPoint(
      int epoch, long step, double accuracy, double averageLoss, long count, long timeMillis) {}

  /** A rollback, dead-letter report or other discrete event of the run. */
  public record Event(long step, int epoch, String kind, String detail, long timeMillis) {}

  public LearningCurves {
    batchLoss = List.copyOf(batchLoss);
    prequential = List.copyOf(prequential);
    testEpochs = List.copyOf(testEpochs);
    events = List.copyOf(events);
  }

  /**
   * Builds the curves of {@code modelName} from its metric records in topic order; records of other
   * models are ignored.
   */
  public static LearningCurves from(String modelName, List<TrainingMetric> metrics) {
    List<StepPoint> batch = new ArrayList<>();
    List<StepPoint> prequential = new ArrayList<>();
    Map<Integer, EpochPoint> tests = new TreeMap<>();
    List<Event> events = new ArrayList<>();
    long records = 0;
    long superseded = 0;
    long highestStep = Long.MIN_VALUE;
    for (TrainingMetric m : metrics) {
      if (!modelName.equals(m.getModelName())) {
        continue;
      }
      records++;
      long step = m.getStep();
      long time = m.getTime().toEpochMilli();
      if (step < highestStep) {
        // A rollback reports the step it restored, which stays valid; anything else at step s
        // replaces what was recorded at s and after.
        long firstReplaced = m.getKind() == MetricKind.ROLLBACK ? step + 1 : step;
        superseded += dropFrom(firstReplaced, batch, prequential, tests);
        highestStep = step;
      }
      highestStep = Math.max(highestStep, step);
      switch (m.getKind()) {
        case BATCH -> batch.add(stepPoint(m, step, time));
        case PREQUENTIAL -> prequential.add(stepPoint(m, step, time));
        case TEST_EPOCH -> {
          EpochPoint previous =
              tests.put(
                  m.getEpoch(),
                  new EpochPoint(
                      m.getEpoch(),
                      step,
                      orNaN(m.getAccuracy()),
                      orNaN(m.getLoss()),
                      m.getCount() == null ? 0 : m.getCount(),
                      time));
          superseded += previous == null ? 0 : 1;
        }
        case ROLLBACK, DEAD_LETTER ->
            events.add(new Event(step, m.getEpoch(), m.getKind().name(), m.getDetail(), time));
      }
    }
    return new LearningCurves(
        modelName,
        batch,
        prequential,
        new ArrayList<>(tests.values()),
        events,
        records,
        superseded);
  }

  private static StepPoint stepPoint(TrainingMetric m, long step, long time) {
    return new StepPoint(
        step,
        m.getEpoch(),
        orNaN(m.getLoss()),
        orNaN(m.getAccuracy()),
        orNaN(m.getImagesPerSecond()),
        m.getCount() == null ? 0 : m.getCount(),
        time);
  }

  private static long dropFrom(
      long step,
      List<StepPoint> batch,
      List<StepPoint> prequential,
      Map<Integer, EpochPoint> tests) {
    long before = batch.size() + prequential.size() + tests.size();
    batch.removeIf(p -> p.step() >= step);
    prequential.removeIf(p -> p.step() >= step);
    tests.values().removeIf(p -> p.step() >= step);
    return before - (batch.size() + prequential.size() + tests.size());
  }

  private static double orNaN(Double value) {
    return value == null ? Double.NaN : value;
  }

  /** True when there is nothing to draw. */
  public boolean isEmpty() {
    return batchLoss.isEmpty() && prequential.isEmpty() && testEpochs.isEmpty();
  }

  /** The model version the curves end at: its highest optimizer step. */
  public long version() {
    return highest(StepPoint::step, EpochPoint::step);
  }

  /** The highest epoch any point belongs to (0 when empty). */
  public int lastEpoch() {
    return (int) highest(StepPoint::epoch, EpochPoint::epoch);
  }

  /** The largest of {@code ofStep} over both step series and {@code ofEpoch} over the tests. */
  private long highest(ToLongFunction<StepPoint> ofStep, ToLongFunction<EpochPoint> ofEpoch) {
    long max = 0;
    for (List<StepPoint> series : List.of(batchLoss, prequential)) {
      for (StepPoint p : series) {
        max = Math.max(max, ofStep.applyAsLong(p));
      }
    }
    for (EpochPoint p : testEpochs) {
      max = Math.max(max, ofEpoch.applyAsLong(p));
    }
    return max;
  }

  /**
   * The step at which each epoch ended: its test evaluation's step, else the last step seen in it
   * (for the epoch still running, that is where the curves end).
   */
  public Map<Integer, Long> epochEndSteps() {
    Map<Integer, Long> ends = new TreeMap<>();
    for (List<StepPoint> series : List.of(batchLoss, prequential)) {
      for (StepPoint p : series) {
        ends.merge(p.epoch(), p.step(), Math::max);
      }
    }
    for (EpochPoint p : testEpochs) {
      ends.put(p.epoch(), p.step());
    }
    return ends;
  }

  /** The newest prequential point, if any. */
  public java.util.Optional<StepPoint> lastPrequential() {
    return prequential.stream().max(Comparator.comparingLong(StepPoint::step));
  }

  /**
   * Training throughput: examples of the prequential windows over the time they took (NaN without
   * rates). Not the mean of the windows' rates, which slow windows would skew less than they cost.
   */
  public double trainingImagesPerSecond() {
    double images = 0;
    double seconds = 0;
    for (StepPoint p : prequential) {
      if (Double.isFinite(p.imagesPerSecond()) && p.imagesPerSecond() > 0 && p.count() > 0) {
        images += p.count();
        seconds += p.count() / p.imagesPerSecond();
      }
    }
    return seconds > 0 ? images / seconds : Double.NaN;
  }

  /** Wall-clock seconds from the first to the last point (0 with fewer than two). */
  public double elapsedSeconds() {
    long first = Long.MAX_VALUE;
    long last = Long.MIN_VALUE;
    for (List<StepPoint> series : List.of(batchLoss, prequential)) {
      for (StepPoint p : series) {
        first = Math.min(first, p.timeMillis());
        last = Math.max(last, p.timeMillis());
      }
    }
    for (EpochPoint p : testEpochs) {
      first = Math.min(first, p.timeMillis());
      last = Math.max(last, p.timeMillis());
    }
    return last > first ? (last - first) / 1000.0 : 0;
  }
}
