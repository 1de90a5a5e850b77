package dev.veil.uapi;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import dev.veil.buffer.PacketBatch;
import dev.veil.conn.MemoryNetwork;
import dev.veil.conn.MemoryTransport;
import dev.veil.core.Endpoint;
import dev.veil.core.FakeClock;
import dev.veil.core.Peer;
import dev.veil.core.SeededRandom;
import dev.veil.crypto.Aead;
import dev.veil.crypto.X25519;
import dev.veil.device.Device;
import dev.veil.tun.MemoryTun;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A device with no threads on an in-memory network and a fake clock, driven through its {@link UapiHandler} as
 * {@code wg} would drive it. Its underlay address is 192.0.2.N; port 0 binds 51820, and a port already taken on the
 * network fails with a BindException, as a real socket would (MemoryNetwork.bind throws it).
 */
final class Rig {
    final MemoryNetwork net;
    final FakeClock clock;
    final byte[] underlay;
    final MemoryTun tun;
    final Device device;
    final UapiHandler handler;
    /** A key pair for this rig; the device gets the private key only when a test sets it. */
    final byte[] privateKey;
    final byte[] publicKey;
    /** What the handler reported as failures. */
    final List<String> errors = new CopyOnWriteArrayList<>();
    MemoryTransport transport;

    Rig(MemoryNetwork net, FakeClock clock, int n) {
        this.net = net;
        this.clock = clock;
        this.underlay = new byte[] {(byte) 192, 0, 2, (byte) n};
        this.tun = new MemoryTun("wg" + n, 1420);
        try {
            this.device = new Device("wg" + n, tun, (port, mark) -> {
                transport = net.bind(new Endpoint(underlay, port == 0 ? 51820 : port));
                return transport;
            }, clock, new SeededRandom(n), Aead.defaultBackend());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.handler = new UapiHandler(device, errors::add);
        this.privateKey = X25519.generatePrivateKey(new SeededRandom(1000 + n));
        this.publicKey = X25519.publicKey(privateKey);
    }

    /** A rig on a network of its own. */
    static Rig alone() {
        return new Rig(new MemoryNetwork(), new FakeClock(), 1);
    }

    /** Serves one connection that sends {@code input} and then closes; returns all that was answered. */
    String exchange(String input) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            handler.serve(new ByteArrayInputStream(input.getBytes(ISO_8859_1)), out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(ISO_8859_1);
    }

    /** A set of the given lines; returns the errno of the answer. */
    int set(String... lines) {
        String answer = exchange("set=1\n" + String.join("\n", lines) + "\n\n");
        if (!answer.startsWith("errno=") || !answer.endsWith("\n\n")) throw new AssertionError("answer: " + answer);
        return Integer.parseInt(answer.substring(6, answer.length() - 2));
    }

    State get() {
        return State.parse(exchange("get=1\n\n"));
    }

    /** The device's peer with this public key, or null. */
    Peer peer(byte[] publicKey) {
        return device.configure(n -> n.peer(publicKey));
    }

    /** How many prefixes the routing table holds. */
    int routeCount() {
        Integer n = device.configure(node -> node.allowedIps().size());
        return n;
    }

    /** Moves datagrams between the rigs until none is left. */
    static void pump(Rig... rigs) {
        PacketBatch batch = new PacketBatch(64, 65536);
        for (boolean moved = true; moved; ) {
            moved = false;
            for (Rig r : rigs) {
                if (r.transport.poll(batch) > 0) {
                    r.device.onDatagrams(batch);
                    moved = true;
                }
            }
        }
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    /** A get answer: the device lines, and each peer's lines after its public_key line, by public key. */
    record State(List<String> device, Map<String, List<String>> peers) {
        static State parse(String answer) {
            if (!answer.endsWith("errno=0\n\n")) throw new AssertionError("get failed: " + answer);
            List<String> device = new ArrayList<>();
            Map<String, List<String>> peers = new LinkedHashMap<>();
            List<String> current = device;
            for (String line : answer.substring(0, answer.length() - "errno=0\n\n".length()).lines().toList()) {
                if (line.startsWith("public_key=")) {
                    current = new ArrayList<>();
                    peers.put(line.substring("public_key=".length()), current);
                } else {
                    current.add(line);
                }
            }
            return new State(device, peers);
        }

        List<String> peer(byte[] publicKey) {
            return peers.get(hex(publicKey));
        }
    }
}
