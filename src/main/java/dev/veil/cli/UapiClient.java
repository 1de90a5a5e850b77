package dev.veil.cli;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A client of the UAPI socket of any userspace WireGuard implementation (Veil, wireguard-go): {@code get} parsed
 * into a {@link Status}, and {@code set} with a body of key=value lines. One call, one connection. Thread-safe.
 */
final class UapiClient {
    /** Where wg looks for userspace implementations' sockets. */
    static final Path SOCKET_DIR = Path.of("/var/run/wireguard");

    private UapiClient() {}

    /** A device as {@code get=1} describes it: its keys, then one map per peer (allowed_ip may repeat). */
    record Status(String name, Map<String, String> device, List<Map<String, List<String>>> peers) {
        String first(Map<String, List<String>> peer, String key) {
            List<String> v = peer.get(key);
            return v == null || v.isEmpty() ? null : v.get(0);
        }
    }

    static Path socket(String ifname) {
        return SOCKET_DIR.resolve(ifname + ".sock");
    }

    /** True when a process accepts connections on the socket (false for a missing or stale one). */
    static boolean answers(Path sock) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            return ch.connect(UnixDomainSocketAddress.of(sock));
        } catch (IOException e) {
            return false;
        }
    }

    /** The names of interfaces with a UAPI socket, sorted. */
    static List<String> interfaces() throws IOException {
        if (!Files.isDirectory(SOCKET_DIR)) return List.of();
        try (Stream<Path> s = Files.list(SOCKET_DIR)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".sock"))
                .map(n -> n.substring(0, n.length() - 5)).sorted().toList();
        }
    }

    static Status get(String ifname) throws IOException {
        List<String> lines = exchange(ifname, "get=1\n\n");
        Map<String, String> device = new LinkedHashMap<>();
        List<Map<String, List<String>>> peers = new ArrayList<>();
        Map<String, List<String>> peer = null;
        for (String line : lines) {
            int eq = line.indexOf('=');
            if (eq < 0) continue;
            String k = line.substring(0, eq), v = line.substring(eq + 1);
            if (k.equals("errno")) {
                if (!v.equals("0")) throw new IOException("get on " + ifname + " failed: errno " + v);
                continue;
            }
            if (k.equals("public_key")) {
                peer = new LinkedHashMap<>();
                peers.add(peer);
            }
            if (peer == null) device.put(k, v);
            else peer.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
        }
        return new Status(ifname, device, peers);
    }

    /**
     * Veil's counters ({@code veil-stats=1}: drops by reason, the handshake queue, under-load mode), or an empty map
     * from an implementation without them (wireguard-go closes the connection).
     */
    static Map<String, String> stats(String ifname) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : exchange(ifname, "veil-stats=1\n\n")) {
            int eq = line.indexOf('=');
            if (eq > 0 && !line.startsWith("errno=") && line.substring(eq + 1).matches("[0-9]{1,18}")) {
                m.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return m;
    }

    /** Sends {@code set=1} with the given body (key=value lines, each ending in a newline); returns errno. */
    static int set(String ifname, String body) throws IOException {
        List<String> lines = exchange(ifname, "set=1\n" + body + "\n");
        for (String l : lines) if (l.startsWith("errno=")) return Integer.parseInt(l.substring(6));
        throw new IOException("no answer from " + socket(ifname));
    }

    /** Sends a whole request (e.g. {@code set=1}, key lines and the empty line); returns the errno it answers. */
    static int raw(String ifname, String request) throws IOException {
        for (String l : exchange(ifname, request)) if (l.startsWith("errno=")) return Integer.parseInt(l.substring(6));
        throw new IOException("no answer from " + socket(ifname));
    }

    private static List<String> exchange(String ifname, String request) throws IOException {
        Path sock = socket(ifname);
        if (!Files.exists(sock)) throw new IOException("no interface " + ifname + " (no " + sock + ")");
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(sock));
            ch.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8)));
            var reader = new java.io.BufferedReader(Channels.newReader(ch, StandardCharsets.UTF_8));
            List<String> lines = new ArrayList<>();
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isEmpty()) break;
                lines.add(line);
            }
            return lines;
        }
    }
}
