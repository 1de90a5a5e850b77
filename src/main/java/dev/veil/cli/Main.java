package dev.veil.cli;

import java.io.IOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code veil} command: parses the command line and dispatches to the subcommands. */
@Command(name = "veil", mixinStandardHelpOptions = true, version = "veil 0.1.0",
    description = "A pure-Java VPN that speaks the WireGuard protocol.",
    subcommands = {DemoCommand.class, DaemonCommand.class, UpDownCommands.Up.class, UpDownCommands.Down.class,
        ShowCommand.class, KeyCommands.GenKey.class, KeyCommands.PubKey.class, KeyCommands.GenPsk.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand");
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Runs the command line and returns the exit code. User errors and I/O errors (a socket, a file) print one line,
     * never a stack trace.
     */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    /** The {@code veil} command line with its error handlers, ready to parse or execute. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        // No @FILE argument files: under sudo they would read any file and echo its words in the error.
        cl.setExpandAtFiles(false);
        cl.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("veil: " + oneLine(ex.getMessage()));
            ex.getCommandLine().getErr().println("Try 'veil --help'.");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parse) -> {
            if (ex instanceof UserError || ex instanceof IOException) {
                String message = ex.getMessage() != null ? ex.getMessage() : ex.getClass().getSimpleName();
                cmd.getErr().println("veil: " + oneLine(message));
                return 1;
            }
            throw ex;
        });
        return cl;
    }

    /** A message that quotes the operator's input, as one line with no control character a terminal would act on. */
    static String oneLine(String message) {
        return message.replace('\n', ' ').replaceAll("[\\p{Cntrl}\\x{80}-\\x{9f}]", "?");
    }
}
