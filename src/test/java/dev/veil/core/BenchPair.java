package dev.veil.core;

import dev.veil.crypto.Aead;
import dev.veil.crypto.X25519;

/**
 * Two {@link Node}s, A and B, for the JMH benchmarks: each knows the other as a peer, A knows B's endpoint, and the
 * inner addresses are {@link Pair}'s (A 10.10.0.1/32, B 10.10.0.2/32). Unlike {@link Pair} nothing is queued or
 * copied: a {@link Capture} keeps a reference to the last datagram, and the caller hands it over.
 */
final class BenchPair {
    /** Keeps the last datagram sent and the length of the last packet delivered, by reference. */
    static final class Capture implements Actions {
        byte[] data;
        int off;
        int len;
        int delivered;

        @Override
        public void send(Endpoint to, byte[] datagram, int off, int len) {
            this.data = datagram;
            this.off = off;
            this.len = len;
        }

        @Override
        public void deliver(Peer from, byte[] packet, int off, int len) {
            delivered = len;
        }
    }

    final FakeClock clock = new FakeClock();
    final Capture atA = new Capture();
    final Capture atB = new Capture();
    final Endpoint aEndpoint = new Endpoint(new byte[] {(byte) 192, 0, 2, 1}, 51820);
    final Endpoint bEndpoint = new Endpoint(new byte[] {(byte) 192, 0, 2, 2}, 51820);
    final Node a;
    final Node b;
    final Peer aPeer;  // A's view of B
    final Peer bPeer;  // B's view of A

    BenchPair() {
        SeededRandom random = new SeededRandom(42);
        a = new Node(clock, random, Aead.defaultBackend());
        b = new Node(clock, random, Aead.defaultBackend());
        a.setStaticKey(new MemoryStaticKey(X25519.generatePrivateKey(random)));
        b.setStaticKey(new MemoryStaticKey(X25519.generatePrivateKey(random)));
        aPeer = a.addPeer(b.publicKey());
        bPeer = b.addPeer(a.publicKey());
        aPeer.setEndpoint(bEndpoint);
        a.allowedIps().insert(Pair.B_INNER, 32, aPeer);
        b.allowedIps().insert(Pair.A_INNER, 32, bPeer);
    }

    /** A initiates, B answers, A consumes the answer (and sends a keepalive, left in {@link #atA}). */
    Result handshake() {
        atA.len = 0;
        a.initiateHandshake(aPeer, atA);
        Result r = b.receive(atA.data, atA.off, atA.len, aEndpoint, atB);
        if (r != Result.Ok.INITIATION) return r;
        return a.receive(atB.data, atB.off, atB.len, bEndpoint, atA);
    }

    /** Hands A's last datagram to B. */
    Result deliverToB() {
        return b.receive(atA.data, atA.off, atA.len, aEndpoint, atB);
    }
}
