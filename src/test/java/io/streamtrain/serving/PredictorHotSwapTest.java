package io.streamtrain.serving;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamtrain.model.InferenceModel;
import io.streamtrain.records.DeadLetters;
import io.streamtrain.schema.Prediction;
import io.streamtrain.snapshots.ModelHolder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.MockProcessorContext.CapturedForward;
import org.apache.kafka.streams.processor.api.MockProcessorContext.CapturedPunctuator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Hot swap under load: a loader thread keeps building and offering newer models while the
 * prediction thread answers requests, and every prediction's modelVersion must be the version of
 * the model that computed its probabilities (the fixture models answer {@code version % 10}).
 */
class PredictorHotSwapTest {
  private final PredictorTest.Fixtures fixtures = new PredictorTest.Fixtures();
  private final ModelHolder models = new ModelHolder();

  @AfterEach
  void close() {
    models.close();
    fixtures.close();
  }

  @Test
  void shouldNeverMixVersionsWhileSwappingManyTimes() throws Exception {
    int versions = 200;
    models.offer(fixtures.model(1));
    AtomicBoolean loaderDone = new AtomicBoolean();
    AtomicReference<Throwable> loaderFailure = new AtomicReference<>();
    Thread loader =
        new Thread(
            () -> {
              try {
                for (long v = 2; v <= versions; v++) {
                  // Built completely on this thread, as SnapshotFollower does, then offered.
                  models.offer(fixtures.model(v));
                  // Wait until a batch took it, so that every version serves some requests.
                  long offered = v;
                  await()
                      .pollInterval(Duration.ofMillis(1))
                      .atMost(Duration.ofSeconds(30))
                      .until(() -> models.version() == offered);
                }
              } catch (Throwable t) {
                loaderFailure.set(t);
              } finally {
                loaderDone.set(true);
              }
            },
            "loader");
    MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
    context.setCurrentSystemTimeMs(1_000L);
    Predictor.Stats stats = new Predictor.Stats();
    Predictor predictor =
        new Predictor(
            fixtures.decoder(),
            models,
            "m",
            4,
            Duration.ofMillis(5),
            new DeadLetters(Predictor.DEAD_LETTERS),
            stats,
            System::nanoTime);
    predictor.init(context);
    CapturedPunctuator round = context.scheduledPunctuators().get(0);

    predictor.process(fixtures.request("first", 0L));
    round.getPunctuator().punctuate(0L);
    int sent = 1;
    loader.start();
    // Rounds of 1..7 requests: full batches of 4 go out in process(), the rest at the punctuation.
    while (!loaderDone.get() || sent < 2_000) {
      int burst = 1 + sent % 7;
      for (int i = 0; i < burst; i++) {
        predictor.process(fixtures.request("r" + sent++, sent));
      }
      round.getPunctuator().punctuate(0L);
    }
    loader.join(30_000);
    assertNull(loaderFailure.get(), () -> "loader failed: " + loaderFailure.get());
    predictor.process(fixtures.request("last", 0L));
    round.getPunctuator().punctuate(0L);
    sent++;

    List<Prediction> out = new ArrayList<>();
    for (CapturedForward<?, ?> f : context.forwarded()) {
      out.add((Prediction) f.record().value());
    }
    assertEquals(sent, out.size(), "every request answered once");
    TreeSet<Long> served = new TreeSet<>();
    long previous = 0;
    for (Prediction p : out) {
      long version = p.getModelVersion();
      assertEquals(version % 10, p.getLabel(), () -> "prediction " + p.getId() + " mixes versions");
      int best = 0;
      for (int c = 1; c < 10; c++) {
        best = p.getProbabilities().get(c) > p.getProbabilities().get(best) ? c : best;
      }
      assertEquals(version % 10, best, "probabilities come from the version it names");
      assertTrue(version >= previous, "versions never go back");
      previous = version;
      served.add(version);
    }
    assertEquals(versions, served.last(), "the newest model serves once the loader is done");
    assertEquals(versions, served.size(), "every version served some requests");
    assertEquals(served.size(), models.swaps(), "each swap was picked up between batches");
  }

  @Test
  void shouldCloseAModelOfferedButNeverServedAndTheOneSwappedOut() {
    InferenceModel first = fixtures.model(1);
    InferenceModel skipped = fixtures.model(2);
    InferenceModel newest = fixtures.model(3);
    models.offer(first);
    assertSame(first, models.acquire());

    models.offer(skipped);
    models.offer(newest); // supersedes version 2 before any batch used it

    assertThrows(IllegalStateException.class, () -> skipped.probabilities(new float[4], 1));
    assertSame(newest, models.acquire());
    assertThrows(IllegalStateException.class, () -> first.probabilities(new float[4], 1));
    assertEquals(3, models.version());
    assertEquals(2, models.swaps());
  }

  @Test
  void shouldKeepServingTheCurrentModelUntilTheNextBatch() {
    models.offer(fixtures.model(1));
    InferenceModel inUse = models.acquire();
    models.offer(fixtures.model(2));

    assertEquals(1, models.version(), "version() reports the serving model");
    assertEquals(1, inUse.probabilities(new float[4], 1).length, "still usable until swapped");
    assertEquals(2, models.acquire().version());
  }
}
