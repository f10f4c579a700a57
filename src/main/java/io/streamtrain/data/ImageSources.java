package io.streamtrain.data;

import io.streamtrain.schema.LabeledImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * The labeled images a {@code --data PATH} names, as {@code produce} and the offline {@code
 * evaluate} read them: one split of Fashion-MNIST's IDX files (found in the standard places when
 * PATH is null), an ImageFolder tree, or one PNG/JPEG file.
 */
public final class ImageSources {
  private ImageSources() {}

  /**
   * The images, counted up front so a progress bar has a total.
   *
   * @param skipped files of an ImageFolder tree that were not images
   */
  public record Source(int count, Iterator<LabeledImage> images, int skipped) {}

  /**
   * Opens {@code data} for {@code split} (IDX only: a tree or a file has no splits), at most {@code
   * limit} images (null: all).
   */
  public static Source open(Path data, Split split, Integer limit) {
    int max = limit == null ? Integer.MAX_VALUE : limit;
    if (data != null && !Files.exists(data)) {
      throw new IllegalArgumentException("--data " + data + " does not exist");
    }
    if (data != null && Files.isRegularFile(data)) {
      List<LabeledImage> one = List.of(LabeledImages.fromFile(data));
      return new Source(Math.min(1, max), one.subList(0, Math.min(1, max)).iterator(), 0);
    }
    boolean idx =
        data == null
            || FashionMnist.findFiles(data).isPresent()
            || FashionMnist.missingFiles(data).size() < FashionMnist.fileNames().size();
    if (idx) {
      // A directory with Fashion-MNIST's IDX files (some may be missing: the split's are checked).
      Path dir = data != null ? data : DatasetLocator.standard().locate(Optional.empty()).dir();
      LabeledDataset dataset = FashionMnist.load(dir, split);
      int n = Math.min(dataset.count(), max);
      return new Source(
          n,
          IntStream.range(0, n).mapToObj(i -> LabeledImages.fromDataset(dataset, i)).iterator(),
          0);
    }
    ImageFolderReader reader = new ImageFolderReader(data);
    List<LabeledImage> images = new ArrayList<>();
    ImageFolderReader.Summary summary = reader.read(images::add);
    List<LabeledImage> chosen = images.subList(0, Math.min(images.size(), max));
    return new Source(chosen.size(), chosen.iterator(), summary.skipped());
  }
}
