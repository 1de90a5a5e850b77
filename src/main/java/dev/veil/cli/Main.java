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
        CommandLine cl = new CommandLine(new Main());
        cl.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("veil: " + ex.getMessage());
            ex.getCommandLine().getErr().println("Try 'veil --help'.");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parse) -> {
            if (ex instanceof UserError || ex instanceof IOException) {
                String message = ex.getMessage() != null ? ex.getMessage() : ex.getClass().getSimpleName();
                cmd.getErr().println("veil: " + message.replace('\n', ' '));
                return 1;
            }
            throw ex;
        });
        return cl.execute(args);
    }
}
