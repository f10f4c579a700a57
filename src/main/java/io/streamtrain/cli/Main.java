package io.streamtrain.cli;

import io.streamtrain.app.BuildInfo;
import io.streamtrain.app.Errors;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

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
  // Options of CommonOptions that only these commands use: the others still accept them (scripts
  // that pass one set of options everywhere keep working) but do not show them.
  private static final Map<String, Set<String>> USED_ONLY_BY =
      Map.of(
          "--state-dir", Set.of("train", "predict"),
          "--model-name", Set.of("train", "predict", "evaluate", "export", "report"),
          "--registry",
              Set.of("topics", "produce", "train", "predict", "evaluate", "export", "report"),
          "--topic-prefix",
              Set.of(
                  "broker",
                  "topics",
                  "produce",
                  "replay",
                  "train",
                  "predict",
                  "evaluate",
                  "export",
                  "report"));

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs a command line and returns the exit code, printing one line on errors. */
  public static int run(String... args) {
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    CommandLine cli = new CommandLine(new Main()).setUsageHelpWidth(110);
    TrainingOptions.addTo(cli);
    hideUnusedOptions(cli);
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

  /** Hides, in each command's help, the common options it does not use (see USED_ONLY_BY). */
  private static void hideUnusedOptions(CommandLine cli) {
    cli.getSubcommands()
        .forEach(
            (command, sub) -> {
              CommandSpec spec = sub.getCommandSpec();
              USED_ONLY_BY.forEach(
                  (flag, users) -> {
                    OptionSpec option = spec.findOption(flag);
                    if (option != null && !option.hidden() && !users.contains(command)) {
                      // The copy writes the same field: only its help line goes.
                      spec.remove(option);
                      spec.addOption(option.toBuilder().hidden(true).build());
                    }
                  });
            });
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
