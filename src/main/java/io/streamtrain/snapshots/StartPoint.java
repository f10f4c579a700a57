package io.streamtrain.snapshots;

import io.streamtrain.schema.ModelSnapshot;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Answers the trainer's "what do I start from" at each task start, remembering where the topic
 * ended when the run began so that it can tell the run's own snapshots from older ones.
 */
public final class StartPoint implements Supplier<Optional<ModelSnapshot>> {
  private final SnapshotTopic snapshots;
  private final Resume resume;
  private Map<Integer, Long> runStart;
  private long floor;
  private ModelSnapshot requested;

  StartPoint(SnapshotTopic snapshots, Resume resume) {
    this.snapshots = snapshots;
    this.resume = resume;
    if (resume.kind() != Resume.Kind.LATEST) {
      // Now, not at the first task start: a standby that takes over later must count the
      // snapshots the active trainer of this run published meanwhile as the run's own.
      begin();
    }
  }

  @Override
  public synchronized Optional<ModelSnapshot> get() {
    if (resume.kind() == Resume.Kind.LATEST) {
      return snapshots.latest();
    }
    begin();
    Optional<ModelSnapshot> own = snapshots.latestFrom(runStart);
    return own.isPresent() ? own : Optional.ofNullable(requested);
  }

  /**
   * The newest version on the topic when the run began, -1 for none: a run starting over continues
   * after it. Resuming the latest snapshot, that snapshot is the newest.
   */
  public synchronized long floor() {
    if (resume.kind() == Resume.Kind.LATEST) {
      return -1;
    }
    begin();
    return floor;
  }

  private void begin() {
    if (runStart != null) {
      return;
    }
    runStart = snapshots.endOffsets();
    Snapshots.Lineage lineage = snapshots.lineage(resume.version());
    floor = lineage.maxVersion();
    if (resume.kind() == Resume.Kind.VERSION) {
      requested = lineage.requested().orElseGet(() -> snapshots.requireVersion(resume.version()));
    }
  }
}
