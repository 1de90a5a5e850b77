package dev.veil.cli;

import dev.veil.crypto.X25519;
import dev.veil.interop.Hosts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A test network for {@code veil up}: a hub namespace, where the tests run {@code veil up} and {@code wg-quick}, and
 * two peer namespaces joined to it by veth pairs, one with an IPv4 and IPv6 underlay each. {@link #startPeers} runs a
 * Veil daemon in the first and wireguard-go in the second, each with the hub as its only peer (they learn the hub's
 * endpoint from its handshake). Names carry a random suffix; {@link #close} stops every process in the namespaces,
 * deletes them, the sockets of every interface name handed out, and the temp directory of the configs.
 */
final class QuickRig implements AutoCloseable {
    static final Path VEIL = Hosts.REPO.resolve("veil");

    /** A peer namespace: its link to the hub, its interface and its tunnel addresses. */
    final class Peer {
        final String ns;
        final String hubLink;
        final String underlay4;
        final String underlay6;
        final String ifname;
        final String tunnel4;
        final String tunnel6;
        /** A prefix routed to this peer besides its tunnel address (AllowedIPs), IPv4 and IPv6. */
        final String routed4;
        final String routed6;
        final String privateKey;
        final String publicKey;

        Peer(char id, int subnet, int host) {
            ns = "vq" + suffix + id;
            hubLink = "vl" + suffix + id;
            underlay4 = "10." + subnet + "." + net + ".2";
            underlay6 = "fd00:" + subnet + ":" + net + "::2";
            ifname = name(id == 'v' ? 'V' : 'G');
            tunnel4 = "10.237." + net + "." + host;
            tunnel6 = "fd00:237:" + net + "::" + host;
            routed4 = "10." + (236 + host) + "." + net + ".0/24";
            routed6 = "fd00:" + (236 + host) + ":" + net + "::/64";
            privateKey = newKey();
            publicKey = publicOf(privateKey);
        }

        /** Runs {@code exe IFNAME} here and sets it up with the hub as its peer. */
        void start(String exe) throws IOException, InterruptedException {
            in(ns, exe, ifname);
            Path key = file("peer-" + ifname + ".key", privateKey + "\n");
            in(ns, "wg", "set", ifname, "private-key", key.toString(), "listen-port", "51820",
                "peer", hubPublicKey, "allowed-ips", hubTunnel4 + "/32," + hubTunnel6 + "/128");
            in(ns, "ip", "address", "add", tunnel4 + "/24", "dev", ifname);
            in(ns, "ip", "address", "add", tunnel6 + "/64", "dev", ifname, "nodad");
            in(ns, "ip", "link", "set", ifname, "mtu", "1420", "up");
        }

        /** The hub's [Peer] section for this peer, reached over the given endpoint. */
        String section(String endpoint) {
            return "[Peer]\nPublicKey = " + publicKey + "\n" + (endpoint == null ? "" : "Endpoint = " + endpoint + "\n")
                + "AllowedIPs = " + tunnel4 + "/32, " + tunnel6 + "/128, " + routed4 + ", " + routed6 + "\n";
        }
    }

    final String suffix = Integer.toString(ThreadLocalRandom.current().nextInt(1000, 10000));
    final int net = ThreadLocalRandom.current().nextInt(1, 250);
    final String hub = "vq" + suffix + "h";
    final String hubTunnel4 = "10.237." + net + ".1";
    final String hubTunnel6 = "fd00:237:" + net + "::1";
    final String hubPrivateKey = newKey();
    final String hubPublicKey = publicOf(hubPrivateKey);
    /** Reached over IPv4 (10.235.net.0/24); runs Veil. */
    final Peer veil;
    /** Reached over IPv6 (fd00:236:net::/64); runs wireguard-go. */
    final Peer wgGo;
    /** A private temp directory (0700) for configs and hook markers. */
    final Path dir;
    private final List<String> names = new ArrayList<>();

    private QuickRig() throws IOException, InterruptedException {
        dir = Files.createTempDirectory("veil-quick",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        veil = new Peer('v', 235, 2);
        wgGo = new Peer('g', 236, 3);
        Hosts.must("ip", "netns", "add", hub);
        in(hub, "ip", "link", "set", "lo", "up");
        for (Peer p : List.of(veil, wgGo)) {
            String subnet = p == veil ? "235" : "236";
            Hosts.must("ip", "netns", "add", p.ns);
            Hosts.must("ip", "link", "add", p.hubLink, "netns", hub, "type", "veth",
                "peer", "name", "vp" + suffix, "netns", p.ns);
            in(p.ns, "ip", "link", "set", "lo", "up");
            in(hub, "ip", "address", "add", "10." + subnet + "." + net + ".1/24", "dev", p.hubLink);
            in(hub, "ip", "address", "add", "fd00:" + subnet + ":" + net + "::1/64", "dev", p.hubLink, "nodad");
            in(hub, "ip", "link", "set", p.hubLink, "up");
            in(p.ns, "ip", "address", "add", p.underlay4 + "/24", "dev", "vp" + suffix);
            in(p.ns, "ip", "address", "add", p.underlay6 + "/64", "dev", "vp" + suffix, "nodad");
            in(p.ns, "ip", "link", "set", "vp" + suffix, "up");
        }
    }

    /** The rig, or a skip (with a printed reason) when not root or a command is missing. */
    static QuickRig create(String... commands) throws IOException, InterruptedException {
        Hosts.require(Stream.concat(Stream.of("ip", "wg"), Stream.of(commands)).toArray(String[]::new));
        return new QuickRig();
    }

    /** Starts Veil on the first peer and wireguard-go on the second. */
    void startPeers() throws IOException, InterruptedException {
        veil.start(Hosts.VEIL);
        wgGo.start(Hosts.WIREGUARD_GO);
    }

    /** An interface name unique to this rig ({@code vq<suffix><id>}); its socket is removed on close. */
    String name(char id) {
        String n = "vq" + suffix + id;
        names.add(n);
        return n;
    }

    /** The hub's [Interface] section: its private key and the given lines. */
    String iface(String... lines) {
        StringBuilder b = new StringBuilder("[Interface]\nPrivateKey = " + hubPrivateKey + "\n");
        for (String l : lines) b.append(l).append('\n');
        return b.append('\n').toString();
    }

    /** Both peers' sections: Veil over IPv4, wireguard-go over IPv6. */
    String peers() {
        return veil.section(veil.underlay4 + ":51820") + "\n" + wgGo.section("[" + wgGo.underlay6 + "]:51820");
    }

    /** Writes {@code name.conf} (mode 0600) in the rig's directory. */
    Path config(String name, String text) throws IOException {
        return file(name + ".conf", text);
    }

    Path file(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.deleteIfExists(f);
        Files.createFile(f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(f, text);
        return f;
    }

    /** Runs the veil launcher in the hub. */
    Exec veilInHub(String... args) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", hub, VEIL.toString()));
        c.addAll(List.of(args));
        return exec(c, null, Map.of());
    }

    /** Runs the veil launcher in the hub with extra environment variables. */
    Exec veilInHub(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", hub, VEIL.toString()));
        c.addAll(List.of(args));
        return exec(c, null, env);
    }

    /** Runs a command in the hub; throws when it fails. */
    String hub(String... command) throws IOException, InterruptedException {
        return in(hub, command);
    }

    /** Runs a command in the hub and returns what it did. */
    Exec tryHub(String... command) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", hub));
        c.addAll(List.of(command));
        return exec(c, null, Map.of());
    }

    /**
     * Whether the hub reaches {@code address}: at least one of three pings is answered (ping waits up to 15 s after
     * the last when none is: the first usually waits for a handshake with a daemon that has just started).
     */
    boolean ping(String address) throws IOException, InterruptedException {
        return tryHub("ping", "-c", "3", "-i", "0.2", "-W", "15", address).exit() == 0;
    }

    /** Whether the interface exists in the hub. */
    boolean exists(String ifname) throws IOException, InterruptedException {
        return tryHub("ip", "link", "show", "dev", ifname).exit() == 0;
    }

    /** Pids of the processes in the hub namespace. */
    List<Long> hubPids() throws IOException, InterruptedException {
        return pids(hub);
    }

    static String in(String ns, String... command) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        c.addAll(List.of(command));
        Exec r = exec(c, null, Map.of());
        if (r.exit() != 0) throw new IOException(String.join(" ", c) + " failed (" + r.exit() + "): " + r.out() + r.err());
        return r.out();
    }

    private static List<Long> pids(String ns) throws IOException, InterruptedException {
        List<Long> l = new ArrayList<>();
        for (String s : Hosts.run(List.of("ip", "netns", "pids", ns), List.of()).output().split("\\s+")) {
            if (s.strip().matches("\\d+")) l.add(Long.parseLong(s.strip()));
        }
        return l;
    }

    @Override
    public void close() throws IOException {
        try {
            for (String ns : List.of(hub, veil.ns, wgGo.ns)) {
                for (long pid : pids(ns)) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
            }
            for (String ns : List.of(hub, veil.ns, wgGo.ns)) {
                for (long pid : pids(ns)) ProcessHandle.of(pid).ifPresent(p -> {
                    try {
                        p.onExit().get(10, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        p.destroyForcibly();
                    }
                });
                Hosts.run(List.of("ip", "netns", "del", ns), List.of());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while removing the rig", e);
        } finally {
            for (String n : names) Files.deleteIfExists(UapiClient.socket(n));
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }

    // ---- processes ----------------------------------------------------------------------------------------------

    /** A finished command: exit code, standard output and standard error. */
    record Exec(int exit, String out, String err) {
        String all() {
            return out + err;
        }
    }

    /** Runs a command (180 s at most) with {@code stdin} (or none) and extra environment entries. */
    static Exec exec(List<String> command, String stdin, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(env);
        Path out = Files.createTempFile("veil-quick", ".out"), err = Files.createTempFile("veil-quick", ".err");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        if (stdin == null) pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        try {
            Process p = pb.start();
            if (stdin != null) {
                try (var in = p.getOutputStream()) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!p.waitFor(180, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out: " + String.join(" ", command));
            }
            return new Exec(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** A condition a test waits for. */
    @FunctionalInterface
    interface Condition {
        boolean holds() throws Exception;
    }

    /** Waits (up to {@code seconds}) for a condition; false when it never held. */
    static boolean await(int seconds, Condition condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(20);
        }
        return true;
    }

    static String newKey() {
        return Base64.getEncoder().encodeToString(X25519.generatePrivateKey(new SecureRandom()));
    }

    static String publicOf(String privateKey) {
        return Base64.getEncoder().encodeToString(X25519.publicKey(X25519.clamp(Base64.getDecoder().decode(privateKey))));
    }
}
