package dev.veil.cli;

import dev.veil.linux.Account;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code veil daemon IFNAME}: the userspace implementation that {@code bin/veil-userspace} starts. It creates the
 * TUN interface and the UAPI socket, and runs until SIGINT/SIGTERM, the TUN's deletion, or the socket's removal;
 * then it removes the socket and the interface. With {@code --user}, it drops to that account once the interface and
 * the sockets exist (see {@link dev.veil.linux.PrivilegeDrop}).
 */
@Command(name = "daemon", description = "Run the interface IFNAME in the foreground (bin/veil-userspace starts this).")
final class DaemonCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IFNAME", description = "Interface name (1 to 15 characters).")
    String ifname;

    @Option(names = "--ready-file", description = "Create this file once the interface and socket exist.", hidden = true)
    Path readyFile;

    @Option(names = "--mtu", description = "Initial MTU (default ${DEFAULT-VALUE}, as wireguard-go).", defaultValue = "1420")
    int mtu;

    @Option(names = "--audit-log", paramLabel = "PATH|-",
        description = "Append a JSON-lines audit log of authentication events to PATH, or write it to stdout for -.")
    String auditLog;

    @Option(names = "--user", paramLabel = "USER", description = "After creating the interface and the sockets, run as "
        + "this user (a name or uid), keeping only CAP_NET_ADMIN and CAP_NET_BIND_SERVICE on one thread.")
    String user;

    @Option(names = "--group", paramLabel = "GROUP",
        description = "The group to run as with --user (a name or gid); the user's primary group by default.")
    String group;

    @Override
    public Integer call() throws Exception {
        Account account = account(user, group);
        Daemon daemon = Daemon.start(ifname, mtu, auditLog, account != null);
        daemon.startWarmUp();
        if (account != null) {
            try {
                System.err.println("veil: " + daemon.dropTo(account).describe());
            } catch (UserError e) {
                daemon.close();
                throw e;
            }
        }
        Thread hook = new Thread(() -> { daemon.stop("signal"); daemon.close(); }, "veil-" + ifname + "-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        System.err.printf("veil: interface %s up, UDP port %d, UAPI %s%n", ifname, daemon.listenPort(),
            UapiClient.socket(ifname));
        if (readyFile != null) Files.writeString(readyFile, "ready\n");
        String why = daemon.await();
        System.err.printf("veil: interface %s shutting down (%s)%n", ifname, why);
        daemon.close();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
            // already shutting down
        }
        return 0;
    }

    /** The account of {@code --user} and {@code --group}, or null without --user; an unknown one is a UserError. */
    static Account account(String user, String group) {
        if (user == null) {
            if (group != null) throw new UserError("--group " + group + " needs --user");
            return null;
        }
        try {
            return Account.lookup(user, group);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }
}
