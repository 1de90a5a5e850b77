package dev.veil.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code veil up CONFIG} and {@code veil down NAME|CONFIG}, which behave as wg-quick's up and down. */
final class UpDownCommands {
    private UpDownCommands() {}

    /** The repository (or install) root, which holds bin/veil-userspace; the launcher passes it. */
    static Path home() {
        String h = System.getProperty("veil.home");
        if (h == null) throw new UserError("veil.home is not set; run Veil through its launcher (./veil)");
        return Path.of(h);
    }

    @Command(name = "up", description = "Bring up the interface of a wg-quick style CONFIG (a path NAME.conf, or NAME "
        + "looked up in /etc/veil and /etc/wireguard).")
    static final class Up implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "CONFIG")
        String config;

        @Option(names = {"-f", "--foreground"}, description = "Serve the interface from this process and stay attached "
            + "until it goes away; SIGINT or SIGTERM take it down (PreDown, deletion, PostDown).")
        boolean foreground;

        @Option(names = "--insecure-permissions", description = "Use a PrivateKeyFile that group or others may read "
            + "or write (refused otherwise).")
        boolean insecurePermissions;

        /**
         * Set by the launcher for a plain {@code veil up}: serve the interface from this process (one JVM start, not
         * two), create this file once the interface is up so that the launcher can return, then let go of the
         * terminal (output to $VEIL_LOG, else /dev/null). Signals later take the interface down, as in the foreground.
         */
        @Option(names = "--detach-ready-file", hidden = true)
        Path readyFile;

        @Override
        public Integer call() throws Exception {
            Quick q = Quick.locate(config, System.err, true);
            q.insecurePermissions = insecurePermissions;
            q.load();
            // As wg-quick's trap: a signal during up undoes it; in the foreground, a signal later takes it down. The
            // JVM exits when the hook ends, so the hook also stops a daemon served here (its socket goes with it).
            java.util.concurrent.atomic.AtomicReference<Daemon> served = new java.util.concurrent.atomic.AtomicReference<>();
            Thread hook = new Thread(() -> {
                q.onSignal();
                Daemon d = served.get();
                if (d != null) d.close();
            }, "veil-" + q.ifname + "-signal");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                if (foreground || readyFile != null) {
                    attached(q, readyFile, served);
                } else {
                    q.up(q.userspace(home()));
                }
            } finally {
                q.detach();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running and finishes before the JVM exits
                }
            }
            return 0;
        }

        /**
         * Brings the interface up served by this JVM and waits until it goes away; with a ready file, detaches from
         * the terminal once up.
         */
        private static void attached(Quick q, Path readyFile, java.util.concurrent.atomic.AtomicReference<Daemon> served)
                throws Exception {
            Daemon[] daemon = {null};
            try {
                q.up(name -> {
                    System.err.println("[#] veil daemon " + name + " (in this process)");
                    daemon[0] = Daemon.start(name, 1420);
                    served.set(daemon[0]);
                });
                if (readyFile != null) {
                    String log = System.getenv("VEIL_LOG");
                    dev.veil.linux.Stdio.redirectOutput(log == null || log.isEmpty() ? "/dev/null" : log);
                    java.nio.file.Files.writeString(readyFile, "up\n");
                }
                String why = daemon[0].await();
                System.err.printf("veil: interface %s shutting down (%s)%n", q.ifname, why);
            } finally {
                if (daemon[0] != null) daemon[0].close();
            }
        }
    }

    @Command(name = "down", description = "Take down the interface NAME (or the one of CONFIG), running its hooks.")
    static final class Down implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME|CONFIG")
        String config;

        @Override
        public Integer call() throws Exception {
            Quick q = Quick.locate(config, System.err, false);
            q.load();
            q.down();
            return 0;
        }
    }
}
