package io.streamtrain.cli;

/** Entry point of target/streamtrain.jar. */
public final class Main {
  public static void main(String[] args) {
    System.err.println("streamtrain: no commands yet");
    System.exit(2);
  }
}
