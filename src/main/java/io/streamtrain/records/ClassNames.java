package io.streamtrain.records;

import io.streamtrain.data.FashionMnist;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Label to class name, learned from the records' {@code className} (ImageFolder folder names,
 * Fashion-MNIST's names): the first name seen for a label stays. A record naming its label
 * otherwise is still trained on (its label is what the model learns; the name is only how
 * predictions are shown) and logged once per label, so a mislabeled folder or producer is noticed
 * without losing data. Filled by the decoder on the stream thread, read by the trainer when it
 * snapshots, so every method is synchronised.
 */
public final class ClassNames {
  private static final Logger LOG = LoggerFactory.getLogger(ClassNames.class);

  private final String[] names;
  private final boolean[] warned;

  /** Names for labels 0..classes-1, none known yet. */
  public ClassNames(int classes) {
    this.names = new String[classes];
    this.warned = new boolean[classes];
  }

  /** Notes {@code name} for {@code label}; null names and labels out of range are ignored. */
  public synchronized void observe(int label, String name) {
    if (name == null || label < 0 || label >= names.length) {
      return;
    }
    String known = names[label];
    if (known == null) {
      names[label] = name;
    } else if (!known.equals(name) && !warned[label]) {
      warned[label] = true;
      LOG.warn(
          "Label {} is named '{}' by an earlier record and '{}' by a later one: keeping '{}'"
              + " (warned once per label)",
          label,
          known,
          name,
          known);
    }
  }

  /** Restores names a snapshot carries (a resumed trainer); names already known stay. */
  public synchronized void restore(List<String> restored) {
    for (int i = 0; i < restored.size() && i < names.length; i++) {
      String name = restored.get(i);
      if (names[i] == null && name != null && !name.isEmpty()) {
        names[i] = name;
      }
    }
  }

  /**
   * Names by label, as snapshots carry them: empty when none is known, else one per label up to the
   * last known one, "" for a label whose name is unknown.
   */
  public synchronized List<String> list() {
    int last = names.length - 1;
    while (last >= 0 && names[last] == null) {
      last--;
    }
    List<String> list = new ArrayList<>(last + 1);
    for (int i = 0; i <= last; i++) {
      list.add(names[i] == null ? "" : names[i]);
    }
    return list;
  }

  /**
   * The name of {@code label} by a model's {@code names} (a snapshot's), or the label as text when
   * unknown. A model without names and with 10 classes has Fashion-MNIST's (snapshots written
   * before names travelled in them were all of Fashion-MNIST).
   */
  public static String nameOf(List<String> names, int classes, int label) {
    if (names != null && label >= 0 && label < names.size()) {
      String name = names.get(label);
      if (name != null && !name.isEmpty()) {
        return name;
      }
    }
    if ((names == null || names.isEmpty())
        && classes == FashionMnist.CLASS_NAMES.size()
        && label >= 0
        && label < classes) {
      return FashionMnist.CLASS_NAMES.get(label);
    }
    return String.valueOf(label);
  }

  @Override
  public synchronized String toString() {
    return Arrays.toString(names);
  }
}
