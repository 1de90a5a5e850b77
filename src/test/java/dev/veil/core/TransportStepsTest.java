package dev.veil.core;

import static org.junit.jupiter.api.Assertions.*;

import dev.veil.crypto.Aead;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The transport-data path in the steps a device runs around its lock ({@link Node#prepareSend} then
 * {@link OutboundElement#seal}; {@link Node#prepareReceive}, {@link InboundElement#open}, then
 * {@link Node#completeReceive}), interleaved as parallel workers would: sealing out of order, a replay racing its
 * original, a forgery that must not move the replay window, and keypairs rotated while packets are in flight.
 */
class TransportStepsTest {
    private Pair p;
    private final List<byte[]> controlFromA = new ArrayList<>();
    private final Actions toA = new Actions() {
        @Override public void send(Endpoint to, byte[] d, int off, int len) {
            controlFromA.add(Arrays.copyOfRange(d, off, off + len));
        }
        @Override public void deliver(Peer from, byte[] packet, int off, int len) {}
    };

    @BeforeEach
    void session() {
        p = new Pair();
        p.completeHandshake();
        assertTrue(p.bPeer.hasSession(p.clock.nanoTime()), "B confirmed the session with A's keepalive");
    }

    /** A prepares a packet (counter reserved, nothing sealed yet). */
    private OutboundElement prepareAtA(byte[] packet) {
        OutboundElement e = new OutboundElement();
        assertEquals(Result.Ok.SENT, p.a.prepareSend(packet, 0, packet.length, e, toA));
        assertTrue(e.isReady());
        return e;
    }

    private static byte[] seal(OutboundElement e, byte[] packet) {
        byte[] d = new byte[e.datagramLength()];
        assertEquals(d.length, e.seal(packet, 0, d, 0));
        return d;
    }

    /** B's three steps on one datagram; returns the delivered packet, or null with the result in the element. */
    private byte[] receiveAtB(InboundElement e, byte[] datagram) {
        byte[] buf = datagram.clone();
        if (!p.b.prepareReceive(buf, 0, buf.length, e)) return null;
        e.open(buf, 0, buf, Protocol.TRANSPORT_HEADER_SIZE);
        Result r = p.b.completeReceive(e, buf, Protocol.TRANSPORT_HEADER_SIZE, p.aEndpoint, p.out(p.b));
        if (r != Result.Ok.DATA) return null;
        int from = Protocol.TRANSPORT_HEADER_SIZE;
        return Arrays.copyOfRange(buf, from, from + e.innerLength());
    }

    @Test
    void packetsSealedOutOfOrderKeepTheirCountersAndArriveIntact() {
        byte[][] packets = {Pair.aToB(10), Pair.aToB(200), Pair.aToB(1300)};
        OutboundElement[] es = new OutboundElement[3];
        for (int i = 0; i < 3; i++) es[i] = prepareAtA(packets[i]);
        assertEquals(es[0].counter() + 1, es[1].counter());
        assertEquals(es[1].counter() + 1, es[2].counter());
        byte[][] datagrams = new byte[3][];
        for (int i : new int[] {2, 0, 1}) datagrams[i] = seal(es[i], packets[i]);  // as three workers might
        for (int i = 0; i < 3; i++) {
            assertEquals(es[i].counter(), Messages.u64(datagrams[i], Messages.DATA_COUNTER));
            assertArrayEquals(packets[i], receiveAtB(new InboundElement(), datagrams[i]));
        }
        assertEquals(3, p.b.count(Result.Ok.DATA));
    }

    @Test
    void sealingInPlaceMovesThePacketBehindTheHeader() {
        byte[] packet = Pair.aToB(100);
        OutboundElement e = prepareAtA(packet);
        byte[] buf = Arrays.copyOf(packet, packet.length + 64);
        int n = e.seal(buf, 0, buf, 0);
        assertFalse(e.isReady(), "sealed once only");
        assertArrayEquals(packet, receiveAtB(new InboundElement(), Arrays.copyOf(buf, n)));
    }

    @Test
    void aReplayRacingItsOriginalIsDeliveredOnce() {
        byte[] packet = Pair.aToB(50);
        byte[] d = seal(prepareAtA(packet), packet);
        byte[] first = d.clone(), second = d.clone();
        InboundElement x = new InboundElement(), y = new InboundElement();
        // Both pass the index lookup before either is opened, then the second copy finishes opening first.
        assertTrue(p.b.prepareReceive(first, 0, first.length, x));
        assertTrue(p.b.prepareReceive(second, 0, second.length, y));
        assertTrue(y.open(second, 0, second, 16) > 0);
        assertTrue(x.open(first, 0, first, 16) > 0);
        assertEquals(Result.Ok.DATA, p.b.completeReceive(x, first, 16, p.aEndpoint, p.out(p.b)));
        assertEquals(Result.Dropped.REPLAYED, p.b.completeReceive(y, second, 16, p.aEndpoint, p.out(p.b)));
        assertEquals(1, p.b.count(Result.Ok.DATA));
        assertEquals(1, p.b.count(Result.Dropped.REPLAYED));
    }

    @Test
    void aForgeryDoesNotMoveTheReplayWindow() {
        byte[] packet = Pair.aToB(50);
        byte[] genuine = seal(prepareAtA(packet), packet);
        byte[] forged = genuine.clone();
        forged[forged.length - 20] ^= 1;  // same index and counter, ciphertext changed
        InboundElement e = new InboundElement();
        assertNull(receiveAtB(e, forged));
        assertEquals(Result.Dropped.DECRYPT_FAILED, e.result());
        assertArrayEquals(packet, receiveAtB(e, genuine), "the counter was not marked seen by the forgery");
    }

    /** A new handshake from A, confirmed at B (B's keypairs rotate: previous, current). */
    private void rekey() {
        p.clock.advance(Protocol.REKEY_TIMEOUT + 1, TimeUnit.NANOSECONDS);
        p.a.initiateHandshake(p.aPeer, p.out(p.a));
        p.pump();
    }

    @Test
    void aMessageWhoseKeypairIsDeletedWhileItIsOpenedIsDropped() {
        byte[] packet = Pair.aToB(60);
        byte[] d = seal(prepareAtA(packet), packet);
        InboundElement e = new InboundElement();
        byte[] buf = d.clone();
        assertTrue(p.b.prepareReceive(buf, 0, buf.length, e));
        Keypair old = p.bPeer.current;
        rekey();
        assertSame(old, p.bPeer.previous, "one rotation keeps the old keypair as previous");
        rekey();
        assertTrue(old.wiped, "a second rotation deletes it");
        assertTrue(e.open(buf, 0, buf, 16) > 0, "the element opens with its own copy of the key");
        assertEquals(Result.Dropped.KEY_EXPIRED, p.b.completeReceive(e, buf, 16, p.aEndpoint, p.out(p.b)));
        assertEquals(0, p.b.count(Result.Ok.DATA), "nothing delivered from a deleted keypair");
        InboundElement late = new InboundElement();
        assertNull(receiveAtB(late, d));
        assertEquals(Result.Dropped.UNKNOWN_INDEX, late.result(), "its index is gone");
    }

    @Test
    void aMessageInFlightAcrossOneRotationIsDeliveredOnce() {
        byte[] packet = Pair.aToB(60);
        byte[] d = seal(prepareAtA(packet), packet);
        InboundElement e = new InboundElement();
        byte[] buf = d.clone();
        assertTrue(p.b.prepareReceive(buf, 0, buf.length, e));
        rekey();
        e.open(buf, 0, buf, 16);
        assertEquals(Result.Ok.DATA, p.b.completeReceive(e, buf, 16, p.aEndpoint, p.out(p.b)));
        InboundElement again = new InboundElement();
        assertNull(receiveAtB(again, d));
        assertEquals(Result.Dropped.REPLAYED, again.result(), "the previous keypair still remembers it");
    }

    @Test
    void aPacketSealedAfterItsKeypairWasDeletedUsesTheRightKeyNotAZeroedOne() {
        byte[] packet = Pair.aToB(70);
        Keypair kp = p.aPeer.current;
        byte[] key = kp.sendKey.clone();
        OutboundElement e = prepareAtA(packet);
        rekey();
        rekey();
        assertTrue(kp.wiped);
        assertTrue(NoiseIk.isZero(kp.sendKey), "the keypair itself is wiped");
        byte[] d = seal(e, packet);
        Aead aead = Aead.defaultBackend();
        byte[] plain = new byte[d.length];
        int n = d.length - 16;
        assertEquals(-1, aead.open(new byte[32], e.counter(), d, 16, n, null, plain, 0), "not sealed under zeros");
        assertTrue(aead.open(key, e.counter(), d, 16, n, null, plain, 0) > 0, "sealed under the keypair's key");
        InboundElement in = new InboundElement();
        assertNull(receiveAtB(in, d));
        assertEquals(Result.Dropped.UNKNOWN_INDEX, in.result(), "B has deleted that keypair too");
    }

    @Test
    void withoutASessionPacketsAreStagedNotPrepared() {
        Pair q = new Pair();
        OutboundElement e = new OutboundElement();
        byte[] packet = Pair.aToB(10);
        assertEquals(Result.Ok.STAGED, q.a.prepareSend(packet, 0, packet.length, e, q.out(q.a)));
        assertFalse(e.isReady());
        assertEquals(1, q.aPeer.stagedPackets());
        assertEquals(1, q.sentBy(q.a, Protocol.MESSAGE_INITIATION), "and a handshake starts");
        byte[] unrouted = Pair.bToA(10);
        assertEquals(Result.Dropped.NO_ROUTE, q.a.prepareSend(unrouted, 0, unrouted.length, e, q.out(q.a)));
    }

    @Test
    void prepareReceiveDropsWhatIsNotATransportMessage() {
        InboundElement e = new InboundElement();
        byte[] junk = new byte[40];
        junk[0] = Protocol.MESSAGE_TRANSPORT;
        assertFalse(p.b.prepareReceive(junk, 0, junk.length, e));
        assertEquals(Result.Dropped.UNKNOWN_INDEX, e.result());
        assertFalse(p.b.prepareReceive(junk, 0, 20, e));
        assertEquals(Result.Dropped.MALFORMED, e.result());
        byte[] init = new byte[Protocol.INITIATION_SIZE];
        init[0] = Protocol.MESSAGE_INITIATION;
        assertFalse(p.b.prepareReceive(init, 0, init.length, e));
        assertEquals(Result.Dropped.UNKNOWN_TYPE, e.result());
        assertEquals(1, p.b.count(Result.Dropped.UNKNOWN_INDEX));
    }
}
