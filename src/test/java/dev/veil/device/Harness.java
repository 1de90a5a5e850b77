package dev.veil.device;

import dev.veil.buffer.PacketBatch;
import dev.veil.conn.MemoryNetwork;
import dev.veil.conn.MemoryTransport;
import dev.veil.core.Endpoint;
import dev.veil.core.FakeClock;
import dev.veil.core.MemoryStaticKey;
import dev.veil.core.Node;
import dev.veil.core.Peer;
import dev.veil.core.SeededRandom;
import dev.veil.crypto.Aead;
import dev.veil.crypto.X25519;
import dev.veil.tun.MemoryTun;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Devices on an in-memory network with a fake clock and no threads: {@link #pump()} moves packets between TUNs,
 * devices and the network until everything settles, and {@link #advance} lets protocol time pass. Each host has an
 * underlay endpoint 192.0.2.N:51820 and a tunnel address 10.0.0.N.
 */
final class Harness {
    final FakeClock clock = new FakeClock();
    final SeededRandom random = new SeededRandom(7);
    final MemoryNetwork net = new MemoryNetwork();
    final List<Host> hosts = new ArrayList<>();
    private final PacketBatch batch = new PacketBatch(64, 65536);

    /** One machine: a device with its memory TUN and transport. */
    final class Host {
        final String name;
        final MemoryTun tun;
        MemoryTransport transport;  // the device's current transport (it may rebind)
        final Device device;
        final byte[] inner;
        final byte[] publicKey;

        Host(String name, int n) {
            this.name = name;
            this.tun = new MemoryTun(name, 1420);
            byte[] address = {(byte) 192, 0, 2, (byte) n};
            try {
                this.device = new Device(name, tun, (port, mark) -> {
                    transport = net.bind(new Endpoint(address, port == 0 ? 51820 : port));
                    return transport;
                }, clock, random, Aead.defaultBackend());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            this.inner = new byte[] {10, 0, 0, (byte) n};
            byte[] priv = X25519.generatePrivateKey(random);
            this.publicKey = X25519.publicKey(priv);
            device.configure(node -> { node.setStaticKey(new MemoryStaticKey(priv)); return null; });
        }

        Endpoint underlay() { return transport.local(); }

        /** This host's peer entry for another host. */
        Peer peerOf(Host other) {
            return device.configure(node -> node.peer(other.publicKey));
        }

        long count(dev.veil.core.Result.Dropped r) {
            return device.configure(node -> node.count(r));
        }

        long count(dev.veil.core.Result.Ok r) {
            return device.configure(node -> node.count(r));
        }

        /** The host sends an IPv4 packet with a payload of n bytes to another host's tunnel address. */
        byte[] sendTo(Host other, int n) {
            byte[] p = ipv4(inner, other.inner, n);
            tun.inject(p);
            return p;
        }

        Node node() {
            return device.configure(node -> node);
        }
    }

    Host host(String name) {
        Host h = new Host(name, hosts.size() + 1);
        hosts.add(h);
        return h;
    }

    /** Makes x and y peers, each allowing the other's /32; x knows y's endpoint, y learns x's. */
    void link(Host x, Host y) {
        x.device.configure(n -> {
            Peer p = n.addPeer(y.publicKey);
            p.setEndpoint(y.underlay());
            n.allowedIps().insert(y.inner, 32, p);
            return p;
        });
        y.device.configure(n -> {
            Peer p = n.addPeer(x.publicKey);
            n.allowedIps().insert(x.inner, 32, p);
            return p;
        });
    }

    /**
     * Runs every device until no packet, datagram or queued handshake is left. Datagrams are read before queued
     * handshakes are worked off, so a flood builds a backlog as it would against a real handshake worker.
     */
    void pump() {
        for (int round = 0; ; round++) {
            if (round > 100_000) throw new AssertionError("traffic never settles");
            boolean moved = false;
            for (Host h : hosts) {
                if (h.tun.poll(batch) > 0) { h.device.onTunPackets(batch); moved = true; }
                if (h.transport.poll(batch) > 0) { h.device.onDatagrams(batch); moved = true; }
            }
            if (moved) continue;
            // The network is drained: now the queued handshakes (as a handshake worker that lags a flood would).
            for (Host h : hosts) {
                if (h.device.handshakeBacklog() > 0) { h.device.onTimers(); moved = true; }
            }
            if (!moved) return;
        }
    }

    /** Lets time pass in 100 ms steps, running timers and traffic at each. */
    void advance(long amount, TimeUnit unit) {
        long left = unit.toNanos(amount);
        long step = TimeUnit.MILLISECONDS.toNanos(100);
        while (left > 0) {
            long s = Math.min(step, left);
            clock.advanceNanos(s);
            left -= s;
            for (Host h : hosts) h.device.onTimers();
            pump();
        }
    }

    /** A minimal IPv4 packet with the given addresses (see {@link dev.veil.core.TestPackets}). */
    static byte[] ipv4(byte[] src, byte[] dst, int payloadLen) {
        return dev.veil.core.TestPackets.ipv4(src, dst, payloadLen);
    }
}
