package io.streamtrain.data;

/**
 * A dataset cannot be found, read or downloaded. The message is one line saying what is wrong and
 * how to fix it; the CLI prints it as its error line.
 */
public class DatasetException extends RuntimeException {
  public DatasetException(String message) {
    super(message);
  }

  public DatasetException(String message, Throwable cause) {
    super(message, cause);
  }
}
