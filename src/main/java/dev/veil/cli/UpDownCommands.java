package dev.veil.cli;

import dev.veil.linux.Account;
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
         * Set by the launcher for a plain {@code veil up} (without --user): serve the interface from this process (one JVM start, not
         * two), create this file once the interface is up so that the launcher can return, then let go of the
         * terminal (output to $VEIL_LOG, else /dev/null). Signals later take the interface down, as in the foreground.
         */
        @Option(names = "--detach-ready-file", hidden = true)
        Path readyFile;

        @Option(names = "--user", paramLabel = "USER", description = "Run the daemon as this user once the interface "
            + "is up (in the foreground: after PostUp), keeping only CAP_NET_ADMIN and CAP_NET_BIND_SERVICE; in the "
            + "foreground a signal then only deletes the interface, and veil down does the rest.")
        String user;

        @Option(names = "--group", paramLabel = "GROUP", description = "The daemon's group with --user (the user's "
            + "primary group by default).")
        String group;

        /** The foreground daemon once it has dropped its privileges; a signal then only stops it. */
        private volatile Daemon dropped;
        /** The daemon this process serves (foreground or detached); the JVM exits when the signal hook ends. */
        private volatile Daemon served;

        @Override
        public Integer call() throws Exception {
            Account account = DaemonCommand.account(user, group);
            Quick q = Quick.locate(config, System.err, true);
            q.insecurePermissions = insecurePermissions;
            q.load();
            // As wg-quick's trap: a signal during up undoes it; in the foreground, a signal later takes it down.
            Thread hook = new Thread(() -> onSignal(q), "veil-" + q.ifname + "-signal");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                if (foreground || readyFile != null) {
                    attached(q, account);
                } else {
                    q.up(q.userspace(home(), account));
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
         * After a privilege drop this process can no longer run the down steps (they need root): a signal stops the
         * daemon, which deletes the interface and its routes, and says what is left to {@code veil down}.
         */
        private void onSignal(Quick q) {
            Daemon d = dropped;
            if (d == null) {
                q.onSignal();
                Daemon s = served;
                if (s != null) s.close();  // its socket goes with it before the JVM exits
                return;
            }
            System.err.println("veil: " + q.ifname + " runs as user " + d.dropped().account().user() + ": deleting it; "
                + "PreDown, SaveConfig, PostDown and wg-quick's rules are left to `veil down " + q.ifname + "` as root");
            d.stop("signal");
            d.close();
        }

        /**
         * Brings the interface up served by this JVM, drops to {@code account} (when not null) and waits until the
         * interface goes away.
         */
        private void attached(Quick q, Account account) throws Exception {
            Daemon[] daemon = {null};
            try {
                q.up(name -> {
                    System.err.println("[#] veil daemon " + name + " (in this process)");
                    daemon[0] = Daemon.start(name, 1420, null, account != null);
                    served = daemon[0];
                });
                daemon[0].startWarmUp();  // now that the interface is set up: see Daemon#startWarmUp
                if (account != null) {
                    try {
                        System.err.println("veil: " + daemon[0].dropTo(account).describe());
                    } catch (UserError e) {
                        q.onSignal();  // take it down while this process perhaps still can
                        throw e;
                    }
                    dropped = daemon[0];  // from now on a signal only stops the daemon (see onSignal)
                    q.detach();
                }
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
