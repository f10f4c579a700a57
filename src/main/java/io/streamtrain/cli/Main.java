package io.streamtrain.cli;

import io.streamtrain.app.BuildInfo;
import io.streamtrain.app.Errors;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of target/streamtrain.jar: one subcommand per verb. */
@Command(
    name = "streamtrain",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Train neural networks online from Kafka.",
    subcommands = {
      DemoCommand.class,
      BrokerCommand.class,
      RegistryCommand.class,
      TopicsCommand.class,
      ProduceCommand.class,
      ReplayCommand.class,
      TrainCommand.class,
      PredictCommand.class,
      EvaluateCommand.class,
      ExportCommand.class,
      BenchCommand.class,
      ReportCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs a command line and returns the exit code, printing one line on errors. */
  public static int run(String... args) {
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    CommandLine cli = new CommandLine(new Main()).setUsageHelpWidth(110);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          commandLine.getErr().println("streamtrain: " + Errors.oneLine(e));
          if (Boolean.getBoolean("streamtrain.debug")) {
            e.printStackTrace(commandLine.getErr());
          }
          return 1;
        });
    cli.setParameterExceptionHandler(
        (e, args1) -> {
          e.getCommandLine()
              .getErr()
              .println(
                  "streamtrain: "
                      + e.getMessage()
                      + " (see: streamtrain "
                      + e.getCommandLine().getCommandName()
                      + " --help)");
          return 2;
        });
    return cli.execute(args);
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.err);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return BuildInfo.lines().toArray(String[]::new);
    }
  }
}
