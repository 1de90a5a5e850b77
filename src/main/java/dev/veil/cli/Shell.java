package dev.veil.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * System commands the way wg-quick runs them: {@link #cmd} echoes {@code [#] command} on stderr, lets its output
 * through there and stops on failure; {@link #query} reads a command's output with its errors thrown away (wg-quick's
 * {@code 2>/dev/null}). Before each command a checkpoint may stop the sequence (a signal during {@code veil up}).
 * One per {@link Quick}; used from one thread at a time.
 */
final class Shell {
    /** A finished command: its exit code, and its output and errors together. */
    record Run(int exit, String output) {}

    private final PrintStream err;
    private final Runnable checkpoint;

    /** {@code checkpoint} runs before each {@link #cmd} and throws to stop. */
    Shell(PrintStream err, Runnable checkpoint) {
        this.err = err;
        this.checkpoint = checkpoint;
    }

    /** Echoes and runs a command, its output on stderr; a failure is a UserError. */
    void cmd(String... c) throws IOException, InterruptedException {
        checkpoint.run();
        int exit = cmdQuiet(c);
        if (exit != 0) throw new UserError(String.join(" ", c) + " failed (exit " + exit + ")");
    }

    /** Echoes and runs a command, its output on stderr; returns its exit code. */
    int cmdQuiet(String... c) throws IOException, InterruptedException {
        return feed(null, String.join(" ", c), c);
    }

    /** Echoes {@code echo}, runs a command with {@code input} on its stdin (or none); returns its exit code. */
    int feed(String input, String echo, String... c) throws IOException, InterruptedException {
        err.println("[#] " + echo);
        Run r = run(List.of(c), input);
        err.print(r.output());
        return r.exit();
    }

    static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, command))) return true;
        }
        return false;
    }

    /** Runs a command with {@code stdin} (or none); returns its exit code and its output and errors together. */
    static Run run(List<String> command, String stdin) throws IOException, InterruptedException {
        Process p = start(new ProcessBuilder(command).redirectErrorStream(true));
        if (stdin != null) p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(p.waitFor(), out);
    }

    /** A command's standard output, its errors thrown away as wg-quick's {@code 2>/dev/null} does. */
    static String query(String... command) throws IOException, InterruptedException {
        Process p = start(new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    private static Process start(ProcessBuilder pb) {
        try {
            return pb.start();
        } catch (IOException e) {
            throw new UserError("cannot run " + pb.command().get(0) + ": " + e.getMessage());
        }
    }
}
