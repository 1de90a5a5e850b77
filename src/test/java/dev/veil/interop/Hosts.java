package dev.veil.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Two test hosts for interop tests: network namespaces joined by a veth pair with IPv4 and IPv6 underlay
 * addresses (or each joined to the root namespace by its own veth pair, {@link #createViaRoot}), each running a userspace WireGuard implementation (Veil's bin/veil-userspace or wireguard-go), set up
 * with {@code wg} and {@code ip}. Everything it creates carries a random suffix and is removed by {@link #close()}.
 * Traffic only ever goes to the addresses of these namespaces. Its static helpers (root and tool checks, running
 * commands) serve the other packages' namespace tests too.
 */
public final class Hosts implements AutoCloseable {
    public static final Path REPO = Path.of(System.getProperty("user.dir"));
    public static final String VEIL = REPO.resolve("bin/veil-userspace").toString();
    public static final String WIREGUARD_GO = "wireguard-go";

    /** One host: a namespace, its underlay addresses, its tunnel interface and addresses. */
    final class Host {
        final String ns;
        final String underlay4;
        final String underlay6;
        final String ifname;
        final String tunnel4;
        final String tunnel6;
        final String privateKey;
        final String publicKey;
        String implementation;

        Host(int i) throws IOException, InterruptedException {
            ns = "veil" + suffix + (char) ('a' + i);
            underlay4 = "10.233." + net + "." + (i + 1);
            underlay6 = "fd00:233:" + net + "::" + (i + 1);
            ifname = "vw" + suffix + (char) ('a' + i);
            tunnel4 = "10.234." + net + "." + (i + 1);
            tunnel6 = "fd00:234:" + net + "::" + (i + 1);
            privateKey = must("wg", "genkey").strip();
            publicKey = sh("echo " + privateKey + " | wg pubkey").strip();
        }

        /** Starts an implementation (its path) on this host and gives it addresses, key and port. */
        void start(String exe) throws IOException, InterruptedException {
            start(exe, List.of());
        }

        /** As {@link #start(String)}, with extra {@code NAME=value} environment entries (e.g. VEIL_USER, VEIL_LOG). */
        void start(String exe, List<String> env) throws IOException, InterruptedException {
            implementation = exe;
            Run r = run(List.of("ip", "netns", "exec", ns, exe, ifname), env);
            if (r.exit() != 0) throw new IOException(exe + " " + ifname + " failed: " + r.output());
            Path key = Files.createTempFile("veil-it", ".key");
            try {
                Files.writeString(key, privateKey + "\n");
                in("wg", "set", ifname, "private-key", key.toString(), "listen-port", "51820");
            } finally {
                Files.delete(key);
            }
            in("ip", "addr", "add", tunnel4 + "/24", "dev", ifname);
            in("ip", "addr", "add", tunnel6 + "/64", "dev", ifname, "nodad");
            in("ip", "link", "set", ifname, "mtu", "1420", "up");
        }

        /** Adds the other host as a peer; with its endpoint when {@code knowsEndpoint}. */
        void peer(Host other, boolean knowsEndpoint, boolean v6Underlay) throws IOException, InterruptedException {
            peer(other, !knowsEndpoint ? null : v6Underlay ? "[" + other.underlay6 + "]:51820" : other.underlay4 + ":51820");
        }

        /** Adds the other host as a peer, reached at {@code endpoint} ({@code host:port}), or with none when null. */
        void peer(Host other, String endpoint) throws IOException, InterruptedException {
            List<String> c = new ArrayList<>(List.of("wg", "set", ifname, "peer", other.publicKey,
                "allowed-ips", other.tunnel4 + "/32," + other.tunnel6 + "/128"));
            if (endpoint != null) {
                c.add("endpoint");
                c.add(endpoint);
            }
            in(c.toArray(String[]::new));
        }

        /** Runs a command inside this host's namespace and fails when it fails. */
        String in(String... command) throws IOException, InterruptedException {
            List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
            c.addAll(List.of(command));
            return must(c.toArray(String[]::new));
        }

        Run tryIn(String... command) throws IOException, InterruptedException {
            List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
            c.addAll(List.of(command));
            return run(c, List.of());
        }

        /**
         * Pings an address through the tunnel; true when any echo was answered (ping's exit status). The first echo
         * usually waits for a handshake: with no reply at all, ping waits 15 s after the last echo before it gives
         * up, time for a daemon that has just started on a loaded machine.
         */
        boolean ping(String address, int count) throws IOException, InterruptedException {
            return tryIn("ping", "-c", String.valueOf(count), "-i", "0.2", "-W", "15", address).exit() == 0;
        }

        /** Bytes received from the peers so far, as {@code wg show transfer} reports them. */
        long receivedBytes() throws IOException, InterruptedException {
            long sum = 0;
            for (String line : in("wg", "show", ifname, "transfer").split("\n")) {
                String[] f = line.strip().split("\t");
                if (f.length == 3) sum += Long.parseLong(f[1]);
            }
            return sum;
        }

        /** Moves this host's IPv4 underlay address to another one in the same subnet; returns the new address. */
        String moveUnderlay4() throws IOException, InterruptedException {
            String dev = in("ip", "-o", "-4", "addr", "show", "to", underlay4).split("\\s+")[1];
            String moved = underlay4.substring(0, underlay4.lastIndexOf('.') + 1) + (100 + underlay4.charAt(underlay4.length() - 1) - '0');
            // Delete first: deleting a primary address also deletes the secondaries of its subnet.
            in("ip", "addr", "del", underlay4 + "/24", "dev", dev);
            in("ip", "addr", "add", moved + "/24", "dev", dev);
            return moved;
        }

        /** Process ids of the implementation running in this namespace. */
        List<Long> pids() throws IOException, InterruptedException {
            List<Long> l = new ArrayList<>();
            for (String s : run(List.of("ip", "netns", "pids", ns), List.of()).output().split("\\s+")) {
                if (!s.isBlank()) l.add(Long.parseLong(s.strip()));
            }
            return l;
        }
    }

    final String suffix = Integer.toString(ThreadLocalRandom.current().nextInt(1000, 10000));
    final int net = unusedNet();
    final Host a;
    final Host b;

    private Hosts(boolean viaRoot) throws IOException, InterruptedException {
        a = new Host(0);
        b = new Host(1);
        if (viaRoot) {
            joinViaRoot();
            return;
        }
        String va = "vv" + suffix + "a", vb = "vv" + suffix + "b";
        must("ip", "netns", "add", a.ns);
        must("ip", "netns", "add", b.ns);
        must("ip", "link", "add", va, "type", "veth", "peer", "name", vb);
        must("ip", "link", "set", va, "netns", a.ns);
        must("ip", "link", "set", vb, "netns", b.ns);
        for (Host h : List.of(a, b)) {
            String v = h == a ? va : vb;
            h.in("ip", "link", "set", "lo", "up");
            h.in("ip", "addr", "add", h.underlay4 + "/24", "dev", v);
            h.in("ip", "addr", "add", h.underlay6 + "/64", "dev", v, "nodad");
            h.in("ip", "link", "set", v, "up");
        }
    }

    /** Two hosts, or a skip (with a printed reason) when not root or a tool is missing. */
    static Hosts create(String... commands) throws IOException, InterruptedException {
        require(commands);
        return new Hosts(false);
    }

    /**
     * Two hosts that do not see each other: each is joined to the root namespace by its own veth pair (IPv4 only,
     * point-to-point addresses: {@link Host#underlay4} inside, {@link #rootSide} outside), so that a relay in the
     * test's JVM can stand between them. Or a skip, as {@link #create}.
     */
    static Hosts createViaRoot(String... commands) throws IOException, InterruptedException {
        require(commands);
        return new Hosts(true);
    }

    /** The root namespace's address on the veth towards {@code h} (hosts made by {@link #createViaRoot}). */
    String rootSide(Host h) {
        return "10.233." + net + "." + (h == a ? 101 : 102);
    }

    /** The name of {@code h}'s underlay veth, inside its namespace. */
    String underlayLink(Host h) {
        return "vv" + suffix + (h == a ? "a" : "b");
    }

    /**
     * A third octet for this pair's 10.233.NET.0/24 addresses that no address in the root namespace uses (a pair
     * joined through the root namespace puts its ends there, and an aborted run may have left one behind).
     */
    private static int unusedNet() {
        String used;
        try {
            used = run(List.of("ip", "-o", "-4", "addr", "show"), List.of()).output();
        } catch (IOException e) {
            used = "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            used = "";
        }
        for (int tries = 0; ; tries++) {
            int net = ThreadLocalRandom.current().nextInt(1, 250);
            if (tries >= 100 || !used.contains(" 10.233." + net + ".")) return net;
        }
    }

    private void joinViaRoot() throws IOException, InterruptedException {
        for (Host h : List.of(a, b)) {
            String inside = underlayLink(h), outside = "vr" + suffix + (h == a ? "a" : "b");
            must("ip", "netns", "add", h.ns);
            must("ip", "link", "add", outside, "type", "veth", "peer", "name", inside);
            must("ip", "link", "set", inside, "netns", h.ns);
            must("ip", "addr", "add", rootSide(h), "peer", h.underlay4, "dev", outside);
            must("ip", "link", "set", outside, "up");
            h.in("ip", "link", "set", "lo", "up");
            h.in("ip", "addr", "add", h.underlay4, "peer", rootSide(h), "dev", inside);
            h.in("ip", "link", "set", inside, "up");
        }
    }

    public static void require(String... commands) {
        if (!"root".equals(System.getProperty("user.name"))) skip("needs root for network namespaces and TUN devices");
        for (String c : commands) {
            boolean found = c.startsWith("/") ? Files.isExecutable(Path.of(c))
                : List.of("/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin").stream().anyMatch(d -> Files.isExecutable(Path.of(d, c)));
            if (!found) skip("needs '" + c + "' (./run-tests installs it from Debian's packages when root)");
        }
    }

    public static void skip(String why) {
        System.out.println("SKIPPED: " + why);
        Assumptions.abort(why);
    }

    /** Links both ways: a knows b's endpoint; b knows a's only if {@code both}. */
    void link(boolean both, boolean v6Underlay) throws IOException, InterruptedException {
        a.peer(b, true, v6Underlay);
        b.peer(a, both, v6Underlay);
    }

    /**
     * Sends {@code bytes} from {@code from} to {@code to}'s tunnel address over TCP and checks that the same bytes
     * arrive (count and SHA-256).
     */
    void transfer(Host from, Host to, String toAddress, long bytes) throws IOException, InterruptedException {
        String script = REPO.resolve("src/test/resources/interop/xfer.py").toString();
        Process server = new ProcessBuilder("ip", "netns", "exec", to.ns, "python3", script, "serve", toAddress, "5201")
            .redirectErrorStream(true).start();
        try {
            var reader = server.inputReader(StandardCharsets.UTF_8);
            String first = reader.readLine();
            assertEquals("listening", first, "the receiver started");
            Run sent = run(List.of("ip", "netns", "exec", from.ns, "timeout", "150", "python3", script, "send", toAddress, "5201",
                String.valueOf(bytes)), List.of());
            assertEquals(0, sent.exit(), "sender: " + sent.output());
            String received = reader.readLine();
            if (!server.waitFor(30, TimeUnit.SECONDS)) throw new IOException("receiver did not finish");
            assertEquals(sent.output().strip(), received == null ? "" : received.strip(), "bytes and SHA-256 match");
            assertEquals(String.valueOf(bytes), sent.output().strip().split(" ")[0]);
        } finally {
            server.destroyForcibly();
        }
    }

    @Override
    public void close() throws IOException {
        try {
            stopAll();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while removing the test hosts", e);
        }
    }

    private void stopAll() throws IOException, InterruptedException {
        for (Host h : List.of(a, b)) {
            for (long pid : h.pids()) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
        }
        for (Host h : List.of(a, b)) {
            for (long pid : h.pids()) ProcessHandle.of(pid).ifPresent(p -> {
                try {
                    p.onExit().get(5, TimeUnit.SECONDS);
                } catch (Exception e) {
                    p.destroyForcibly();
                }
            });
            run(List.of("ip", "netns", "del", h.ns), List.of());
            Files.deleteIfExists(Path.of("/var/run/wireguard", h.ifname + ".sock"));
        }
    }

    // ---- processes ----------------------------------------------------------------------------------------------

    /** A command's exit code and its output and errors together. */
    public record Run(int exit, String output) {}

    /** Runs a command (180 s at most) with extra {@code NAME=value} environment entries. */
    public static Run run(List<String> command, List<String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        for (String e : env) pb.environment().put(e.substring(0, e.indexOf('=')), e.substring(e.indexOf('=') + 1));
        Path out = Files.createTempFile("veil-it", ".out");
        pb.redirectOutput(out.toFile());
        Process p = pb.start();
        try {
            if (!p.waitFor(180, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out: " + String.join(" ", command));
            }
            return new Run(p.exitValue(), Files.readString(out));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** Runs a command and throws when it fails; returns its output. */
    public static String must(String... command) throws IOException, InterruptedException {
        Run r = run(List.of(command), List.of());
        if (r.exit() != 0) throw new IOException(String.join(" ", command) + " failed (" + r.exit() + "): " + r.output().strip());
        return r.output();
    }

    static String sh(String script) throws IOException, InterruptedException {
        return must("sh", "-c", script);
    }
}
