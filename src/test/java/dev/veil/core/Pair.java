package dev.veil.core;

import static org.junit.jupiter.api.Assertions.*;

import dev.veil.crypto.Aead;
import dev.veil.crypto.Blake2s;
import dev.veil.crypto.X25519;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Two protocol {@link Node}s, A and B, wired back to back with no I/O: datagrams one emits are queued and handed
 * to the other by {@link #pump()}, time moves only through {@link #advance}. A knows B's endpoint; B learns A's
 * from the handshake. Inner addresses: A is 10.10.0.1, B is 10.10.0.2 (each peer's AllowedIPs is the other's /32).
 * A filter can drop datagrams in flight, and everything sent is recorded.
 */
final class Pair {
    /** A datagram in flight, from one node's endpoint to the other's. */
    record Datagram(Node sender, Endpoint from, Endpoint to, byte[] data) {
        int type() { return data[0]; }
    }

    final FakeClock clock = new FakeClock();
    final SeededRandom random;
    final Node a;
    final Node b;
    final Peer aPeer;  // A's view of B
    final Peer bPeer;  // B's view of A
    final byte[] aPrivate;
    final byte[] bPrivate;
    Endpoint aEndpoint = new Endpoint(new byte[] {(byte) 192, 0, 2, 1}, 51820);
    Endpoint bEndpoint = new Endpoint(new byte[] {(byte) 192, 0, 2, 2}, 51820);
    static final byte[] A_INNER = {10, 10, 0, 1};
    static final byte[] B_INNER = {10, 10, 0, 2};

    final ArrayDeque<Datagram> inFlight = new ArrayDeque<>();
    final List<Datagram> sent = new ArrayList<>();
    final List<byte[]> deliveredToA = new ArrayList<>();
    final List<byte[]> deliveredToB = new ArrayList<>();
    final List<Result> resultsAtA = new ArrayList<>();
    final List<Result> resultsAtB = new ArrayList<>();
    Predicate<Datagram> drop = d -> false;

    Pair() {
        this(42, null);
    }

    /** A pair with the given seed; psk null means none. */
    Pair(long seed, byte[] psk) {
        random = new SeededRandom(seed);
        a = new Node(clock, random, Aead.defaultBackend());
        b = new Node(clock, random, Aead.defaultBackend());
        aPrivate = X25519.generatePrivateKey(random);
        bPrivate = X25519.generatePrivateKey(random);
        a.setStaticKey(new MemoryStaticKey(aPrivate));
        b.setStaticKey(new MemoryStaticKey(bPrivate));
        aPeer = a.addPeer(b.publicKey());
        bPeer = b.addPeer(a.publicKey());
        aPeer.setEndpoint(bEndpoint);
        a.allowedIps().insert(B_INNER, 32, aPeer);
        b.allowedIps().insert(A_INNER, 32, bPeer);
        if (psk != null) {
            aPeer.setPresharedKey(psk);
            bPeer.setPresharedKey(psk);
        }
    }

    /** The actions sink of a node: sends go in flight from that node's current endpoint. */
    Actions out(Node n) {
        return new Actions() {
            @Override
            public void send(Endpoint to, byte[] d, int off, int len) {
                Datagram g = new Datagram(n, n == a ? aEndpoint : bEndpoint, to, Arrays.copyOfRange(d, off, off + len));
                sent.add(g);
                inFlight.addLast(g);
            }

            @Override
            public void deliver(Peer from, byte[] p, int off, int len) {
                (n == a ? deliveredToA : deliveredToB).add(Arrays.copyOfRange(p, off, off + len));
            }
        };
    }

    /** Delivers datagrams in flight (and those they cause) until none are left. */
    void pump() {
        for (int guard = 0; !inFlight.isEmpty(); guard++) {
            if (guard > 100_000) throw new AssertionError("datagrams never stop flowing");
            Datagram d = inFlight.pollFirst();
            if (drop.test(d)) continue;
            Node to = d.to().equals(aEndpoint) ? a : d.to().equals(bEndpoint) ? b : null;
            if (to == null) continue;  // nobody lives there any more
            Result r = to.receive(d.data(), 0, d.data().length, d.from(), out(to));
            (to == a ? resultsAtA : resultsAtB).add(r);
        }
    }

    /** The one datagram in flight, taken off the network without delivering it. */
    Datagram take() {
        if (inFlight.size() != 1) throw new AssertionError("expected one datagram in flight, found " + inFlight.size());
        return inFlight.pollFirst();
    }

    /** Hands a datagram to a node as if it came from an endpoint; what it causes stays in flight. */
    Result inject(Node to, byte[] data, Endpoint from) {
        return to.receive(data, 0, data.length, from, out(to));
    }

    /** Hands a datagram to the node it was sent to, from where it was sent. */
    Result inject(Datagram d) {
        return inject(d.to().equals(aEndpoint) ? a : b, d.data(), d.from());
    }

    /** Rewrites mac1 of a handshake message for the receiver's public key, as any sender who knows that key can. */
    static void writeMac1(byte[] msg, byte[] receiverPublic) {
        int m1 = Messages.mac1Offset(msg.length);
        Blake2s.mac(Blake2s.hash(Protocol.LABEL_MAC1, receiverPublic), msg, 0, m1, msg, m1);
    }

    /** Moves time forward in steps, running both nodes' timers and the network at each step. */
    void advance(long amount, TimeUnit unit) {
        long left = unit.toNanos(amount);
        long step = TimeUnit.MILLISECONDS.toNanos(100);
        while (left > 0) {
            long s = Math.min(step, left);
            clock.advanceNanos(s);
            left -= s;
            a.tick(out(a));
            b.tick(out(b));
            pump();
        }
    }

    /** A sends an inner packet to B (routed by destination) and the network settles. */
    Result sendAtoB(byte[] packet) {
        Result r = a.send(packet, 0, packet.length, out(a));
        pump();
        return r;
    }

    Result sendBtoA(byte[] packet) {
        Result r = b.send(packet, 0, packet.length, out(b));
        pump();
        return r;
    }

    /** A minimal IPv4 packet with the given addresses (see {@link TestPackets}). */
    static byte[] ipv4(byte[] src, byte[] dst, int payloadLen) {
        return TestPackets.ipv4(src, dst, payloadLen);
    }

    static byte[] aToB(int payloadLen) { return ipv4(A_INNER, B_INNER, payloadLen); }

    static byte[] bToA(int payloadLen) { return ipv4(B_INNER, A_INNER, payloadLen); }

    /** Datagrams of the given message type sent so far by a node. */
    long sentBy(Node n, int type) {
        return sent.stream().filter(d -> d.sender() == n && d.type() == type).count();
    }

    /** A valid initiation for B (mac1 included) from a fresh key that neither node knows. */
    byte[] initiationFromStranger() {
        Node stranger = new Node(clock, random, Aead.defaultBackend());
        stranger.setStaticKey(new MemoryStaticKey(X25519.generatePrivateKey(random)));
        Peer toB = stranger.addPeer(b.publicKey());
        toB.setEndpoint(bEndpoint);
        List<byte[]> out = new ArrayList<>();
        stranger.initiateHandshake(toB, new Actions() {
            @Override public void send(Endpoint to, byte[] d, int off, int len) {
                out.add(Arrays.copyOfRange(d, off, off + len));
            }
            @Override public void deliver(Peer from, byte[] packet, int off, int len) {}
        });
        if (out.size() != 1) throw new AssertionError("expected one initiation, found " + out.size());
        return out.getFirst();
    }

    /**
     * Hands a hostile datagram to node {@code n} (from the other node's endpoint) and asserts that it is dropped
     * silently: a drop for the reason the size check gives (never the catch-all MALFORMED once the framing is valid),
     * counted once, with nothing sent, in flight or delivered.
     */
    void assertDroppedSilently(Node n, byte[] b) {
        int sentBefore = sent.size();
        long drops = totalDrops(n);
        Endpoint from = n == a ? bEndpoint : aEndpoint;
        Result r = assertDoesNotThrow(() -> inject(n, b, from));
        Result.Dropped reason = assertInstanceOf(Result.Dropped.class, r, "a hostile datagram must be dropped");
        int checked = Messages.check(b, 0, b.length);
        if (checked < 0) {
            assertEquals(Messages.dropReason(checked), reason);
        } else {
            assertNotEquals(Result.Dropped.MALFORMED, reason, "a well-framed datagram must not reach the catch-all");
        }
        assertTrue(n.count(reason) > 0);
        assertEquals(drops + 1, totalDrops(n), "counted once");
        assertEquals(sentBefore, sent.size(), "nothing sent in reply");
        assertTrue(inFlight.isEmpty());
        assertTrue(deliveredToA.isEmpty() && deliveredToB.isEmpty(), "nothing delivered");
    }

    private static long totalDrops(Node n) {
        return n.drops().values().stream().mapToLong(Long::longValue).sum();
    }

    void completeHandshake() {
        a.initiateHandshake(aPeer, out(a));
        pump();
    }

    /**
     * A pair after an exchange that sent one datagram of every kind, recorded in {@link #sent}: an initiation without
     * mac2 answered by a cookie reply (B under load), the retransmission with mac2 once B is no longer under load,
     * the response, a keepalive, and data both ways. Nothing stays delivered or in flight.
     */
    static Pair afterFullExchange(long seed) {
        Pair p = new Pair(seed, null);
        p.b.observeHandshakeBacklog(Node.HANDSHAKE_QUEUE_SIZE);
        p.completeHandshake();
        p.advance(6, TimeUnit.SECONDS);
        p.sendAtoB(aToB(40));
        p.sendBtoA(bToA(60));
        if (p.deliveredToA.size() != 1 || p.deliveredToB.size() != 1 || p.b.underLoad()) {
            throw new AssertionError("the exchange did not complete: " + p.resultsAtA + " " + p.resultsAtB);
        }
        p.deliveredToA.clear();
        p.deliveredToB.clear();
        return p;
    }
}
