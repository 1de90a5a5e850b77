package dev.veil.interop;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The daemon's privilege drop ({@code VEIL_USER}/{@code VEIL_GROUP} through bin/veil-userspace, i.e. {@code veil
 * daemon --user --group}) between two namespaces, against wireguard-go: every thread of the running daemon has the
 * unprivileged uid and gid, no thread but the privileged one holds a capability and that one only CAP_NET_ADMIN and
 * CAP_NET_BIND_SERVICE; traffic flows; {@code wg set fwmark} and a low listen port still work; the daemon stops
 * cleanly and leaves no live socket. Needs root, wg, wireguard-go, ping, python3 and the nobody/nogroup accounts.
 */
class PrivilegeDropTest {
    private static final long KEPT = 1L << 12 | 1L << 10;  // CAP_NET_ADMIN, CAP_NET_BIND_SERVICE
    private static final long UNPRIVILEGED = 65534;

    @Test
    void theDaemonRunsAsNobodyKeepsTwoCapabilitiesOnOneThreadAndStillWorks() throws Exception {
        try (Hosts h = Hosts.create("wg", Hosts.WIREGUARD_GO, "ping", "python3", "getent", "ss")) {
            requireAccounts();
            // The audit log lives in a directory only root may enter: the daemon keeps writing to the file it opened
            // before the drop.
            Path rootOnly = Files.createTempDirectory("veil-privdrop",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Path audit = rootOnly.resolve("audit.jsonl");
            try {
                run(h, audit);
            } finally {
                Files.deleteIfExists(audit);
                Files.deleteIfExists(rootOnly);
            }
        }
    }

    /** Starts Veil (dropping to nobody, with the audit log) and wireguard-go, and checks the daemon throughout. */
    private static void run(Hosts h, Path audit) throws Exception {
        h.a.start(Hosts.VEIL, List.of("VEIL_USER=nobody", "VEIL_GROUP=nogroup", "VEIL_AUDIT_LOG=" + audit));
        h.b.start(Hosts.WIREGUARD_GO);
        h.link(true, false);
        long pid = onlyPid(h.a);
        String privileged = ("veil-" + h.a.ifname + "-priv-0").substring(0, 15);  // the kernel keeps 15 characters
        assertDropped(pid, privileged, "after start");

        assertTrue(h.a.ping(h.b.tunnel4, 3), "Veil reaches wireguard-go through the tunnel");
        assertTrue(h.b.ping(h.a.tunnel6, 3), "wireguard-go reaches Veil through the tunnel");
        h.transfer(h.a, h.b, h.b.tunnel4, 8L << 20);
        h.transfer(h.b, h.a, h.a.tunnel4, 8L << 20);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Files.readString(audit).contains("\"event\":\"handshake_completed\"")) {
            assertTrue(System.nanoTime() < deadline, "the audit log records the handshake: " + Files.readString(audit));
            Thread.sleep(100);  // polling a condition with a deadline (the log is flushed once a second)
        }

        // SO_MARK needs CAP_NET_ADMIN: the UAPI thread has none, the privileged thread opens the new socket.
        h.a.in("wg", "set", h.a.ifname, "fwmark", "0x1234");
        assertEquals("0x1234", h.a.in("wg", "show", h.a.ifname, "fwmark").strip());
        assertTrue(h.a.in("wg", "show", h.a.ifname).contains("fwmark: 0x1234"), "wg show works after the drop");
        assertTrue(h.a.in("ss", "-uane").contains("fwmark:0x1234"), "the socket carries the mark");
        assertTrue(h.a.ping(h.b.tunnel4, 2), "traffic flows after the rebind");
        // A port below 1024 needs CAP_NET_BIND_SERVICE, also kept by the privileged thread.
        h.a.in("wg", "set", h.a.ifname, "listen-port", "853");
        assertEquals("853", h.a.in("wg", "show", h.a.ifname, "listen-port").strip());
        assertDropped(pid, privileged, "after the rebinds and the traffic");

        // Shutdown: the daemon exits, the interface goes, the socket it may not remove answers no one.
        ProcessHandle daemon = ProcessHandle.of(pid).orElseThrow();
        daemon.destroy();
        daemon.onExit().get(20, TimeUnit.SECONDS);
        assertNotEquals(0, h.a.tryIn("ip", "link", "show", h.a.ifname).exit(), "the interface is gone");
        Path sock = Path.of("/var/run/wireguard", h.a.ifname + ".sock");
        assertFalse(answers(sock), "no one answers on " + sock);
        assertFalse(h.a.in("wg", "show", "interfaces").contains(h.a.ifname), "wg does not list the stopped daemon");
        assertFalse(Files.exists(sock), "wg removed the stale socket");
    }

    @Test
    void aLowPortWithoutCapNetBindServiceIsRefusedWithOneClearLine() throws Exception {
        try (Hosts h = Hosts.create("wg", "setpriv", "getent")) {
            requireAccounts();
            Path log = Files.createTempFile("veil-privdrop", ".log");
            try {
                Process daemon = new ProcessBuilder("ip", "netns", "exec", h.a.ns, "setpriv", "--bounding-set",
                    "-net_bind_service", Hosts.REPO.resolve("veil").toString(), "daemon", "--user", "nobody", h.a.ifname)
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!Files.readString(log).contains("interface " + h.a.ifname + " up")) {
                    assertTrue(daemon.isAlive(), "the daemon runs: " + Files.readString(log));
                    assertTrue(System.nanoTime() < deadline, "the daemon came up: " + Files.readString(log));
                    Thread.sleep(50);  // polling a condition with a deadline
                }
                assertTrue(Files.readString(log).contains("keeps CAP_NET_ADMIN, the other"), Files.readString(log));
                Hosts.Run low = h.a.tryIn("wg", "set", h.a.ifname, "listen-port", "80");
                assertNotEquals(0, low.exit(), "the rebind is refused");
                String expected = "UAPI: failed to set listen_port: UDP port 80: permission denied (ports below 1024 need "
                    + "CAP_NET_BIND_SERVICE, which the daemon (user nobody) does not hold)";
                assertTrue(Files.readString(log).contains(expected + "\n"), Files.readString(log));
                h.a.in("wg", "set", h.a.ifname, "listen-port", "5353");
                assertEquals("5353", h.a.in("wg", "show", h.a.ifname, "listen-port").strip(), "a high port works");
                daemon.destroy();
                assertTrue(daemon.waitFor(20, TimeUnit.SECONDS), "the daemon stops on SIGTERM");
                assertTrue(Files.readString(log).contains("interface " + h.a.ifname + " shutting down (signal)"),
                    Files.readString(log));
            } finally {
                Files.deleteIfExists(log);
            }
        }
    }

    private static void requireAccounts() throws IOException, InterruptedException {
        if (Hosts.run(List.of("getent", "passwd", "nobody"), List.of()).exit() != 0
                || Hosts.run(List.of("getent", "group", "nogroup"), List.of()).exit() != 0) {
            Hosts.skip("needs the user nobody and the group nogroup");
        }
    }

    private static long onlyPid(Hosts.Host host) throws IOException, InterruptedException {
        List<Long> pids = host.pids();
        assertEquals(1, pids.size(), "one daemon process: " + pids);
        return pids.get(0);
    }

    /**
     * Every task of the process: uids and gids all 65534, no supplementary group, no_new_privs, no ambient
     * capability; exactly one task, the privileged thread, with permitted = effective = bounding = the kept two;
     * none other with any permitted or effective capability.
     */
    private static void assertDropped(long pid, String privilegedName, String when) throws IOException {
        List<Map<String, String>> tasks = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : s.toList()) {
                try {
                    tasks.add(status(Files.readString(t.resolve("status"))));
                } catch (NoSuchFileException exited) {
                    // a thread that ended meanwhile
                }
            }
        }
        assertTrue(tasks.size() > 5, when + ": the JVM's threads are listed: " + tasks.size());
        int holders = 0;
        for (Map<String, String> t : tasks) {
            String who = when + ", thread " + t.get("Name");
            assertEquals(List.of(UNPRIVILEGED, UNPRIVILEGED, UNPRIVILEGED, UNPRIVILEGED), numbers(t.get("Uid")), who);
            assertEquals(List.of(UNPRIVILEGED, UNPRIVILEGED, UNPRIVILEGED, UNPRIVILEGED), numbers(t.get("Gid")), who);
            assertEquals("", t.get("Groups"), who + ": no supplementary groups");
            assertEquals("1", t.get("NoNewPrivs"), who + ": no_new_privs");
            assertEquals(0, hex(t.get("CapAmb")), who + ": no ambient capability");
            long prm = hex(t.get("CapPrm")), eff = hex(t.get("CapEff"));
            if (prm == 0 && eff == 0) continue;
            holders++;
            assertEquals(privilegedName, t.get("Name"), who + " holds capabilities " + Long.toHexString(prm | eff));
            assertEquals(KEPT, prm, who + ": permitted");
            assertEquals(KEPT, eff, who + ": effective");
            assertEquals(KEPT, hex(t.get("CapBnd")), who + ": bounding set");
        }
        assertEquals(1, holders, when + ": exactly one thread holds capabilities");
    }

    private static Map<String, String> status(String text) {
        Map<String, String> m = new HashMap<>();
        for (String line : text.split("\n")) {
            int c = line.indexOf(':');
            if (c > 0) m.put(line.substring(0, c), line.substring(c + 1).strip());
        }
        return m;
    }

    private static List<Long> numbers(String s) {
        return Stream.of(s.split("\\s+")).map(Long::parseLong).toList();
    }

    private static long hex(String s) {
        return Long.parseUnsignedLong(s, 16);
    }

    private static boolean answers(Path sock) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            return ch.connect(UnixDomainSocketAddress.of(sock));
        } catch (IOException e) {
            return false;
        }
    }
}
