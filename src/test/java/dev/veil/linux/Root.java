package dev.veil.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Helpers for tests that need root: a skip with a printed reason, and running commands such as {@code ip}. */
final class Root {
    private Root() {}

    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** Skips the calling test, printing why, unless we are root and the commands exist. */
    static void require(String... commands) {
        if (!isRoot()) {
            System.out.println("SKIPPED: needs root (network namespaces, TUN devices)");
            Assumptions.abort("needs root");
        }
        for (String c : commands) {
            if (!onPath(c)) {
                System.out.println("SKIPPED: needs the '" + c + "' command (the project's scripts install it)");
                Assumptions.abort("needs " + c);
            }
        }
    }

    static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (java.nio.file.Files.isExecutable(java.nio.file.Path.of(dir, command))) return true;
        }
        return java.nio.file.Files.isExecutable(java.nio.file.Path.of("/usr/sbin", command));
    }

    /** The result of a command. */
    record Run(int exit, String output) {}

    /** Runs a command (30 s at most) and returns its exit code and merged output. */
    static Run run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + String.join(" ", command));
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** Runs a command and fails when it exits non-zero. */
    static String must(String... command) throws IOException, InterruptedException {
        Run r = run(command);
        if (r.exit() != 0) throw new IOException(String.join(" ", command) + " failed (" + r.exit() + "): " + r.output().strip());
        return r.output();
    }

    static List<String> cmd(String... parts) {
        return new ArrayList<>(List.of(parts));
    }
}
