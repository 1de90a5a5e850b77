package dev.veil.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
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

        @Override
        public Integer call() throws Exception {
            Quick q = Quick.locate(config, System.err, true);
            q.load();
            q.up(home());
            return 0;
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
