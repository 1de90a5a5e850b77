package dev.veil.core;

import static org.junit.jupiter.api.Assertions.*;

import dev.veil.crypto.Aead;
import dev.veil.crypto.Blake2s;
import dev.veil.crypto.Kdf;
import dev.veil.crypto.Tai64n;
import dev.veil.crypto.X25519;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The handshake between two cores and its defences: with and without a pre-shared key, a mismatched key, an unknown
 * initiator, replayed and flooding initiations, replayed and misaddressed responses, a wrong mac1, and low-order
 * ephemeral keys. Every rejected message is dropped with its reason and answered with nothing.
 */
class HandshakeTest {
    private static final byte[] PSK = filled(0x5a);

    private static byte[] filled(int b) {
        byte[] k = new byte[32];
        Arrays.fill(k, (byte) b);
        return k;
    }

    /** Injects a datagram and asserts that it was dropped for the reason and that nothing went out in reply. */
    private static void assertDroppedSilently(Pair p, Node to, byte[] data, Endpoint from, Result.Dropped reason) {
        int sent = p.sent.size();
        long count = to.count(reason);
        assertEquals(reason, p.inject(to, data, from));
        assertEquals(count + 1, to.count(reason));
        assertEquals(sent, p.sent.size(), "no reply");
    }

    @Test
    void handshakeWithoutPresharedKey() {
        Pair p = new Pair();
        p.completeHandshake();
        assertEquals(List.of(Result.Ok.INITIATION, Result.Ok.KEEPALIVE), p.resultsAtB);
        assertEquals(List.of(Result.Ok.RESPONSE), p.resultsAtA);
        assertSessionKeysMatch(p);
        assertFalse(p.aPeer.hasPresharedKey());
    }

    @Test
    void handshakeWithPresharedKeyDerivesOtherKeys() {
        Pair plain = new Pair(9, null);
        Pair withPsk = new Pair(9, PSK);
        plain.completeHandshake();
        withPsk.completeHandshake();
        assertEquals(List.of(Result.Ok.RESPONSE), withPsk.resultsAtA);
        assertSessionKeysMatch(withPsk);
        assertTrue(withPsk.aPeer.hasPresharedKey());
        // Same seed, so the same static and ephemeral keys: only the pre-shared key differs.
        assertArrayEquals(plain.sent.get(0).data(), withPsk.sent.get(0).data(), "the initiation does not involve the psk");
        assertFalse(Arrays.equals(plain.aPeer.current.sendKey, withPsk.aPeer.current.sendKey));
        assertEquals(Result.Ok.SENT, withPsk.sendAtoB(Pair.aToB(30)));
        assertEquals(1, withPsk.deliveredToB.size());
    }

    private static void assertSessionKeysMatch(Pair p) {
        Keypair a = p.aPeer.current;
        Keypair b = p.bPeer.current;
        assertNotNull(a);
        assertNotNull(b, "the initiator's keepalive confirmed the key");
        assertTrue(a.initiator);
        assertFalse(b.initiator);
        assertArrayEquals(a.sendKey, b.receiveKey);
        assertArrayEquals(a.receiveKey, b.sendKey);
        assertEquals(a.localIndex, b.remoteIndex);
        assertEquals(a.remoteIndex, b.localIndex);
    }

    @Test
    void mismatchedPresharedKeyEstablishesNoSession() {
        Pair p = new Pair(42, PSK);
        p.bPeer.setPresharedKey(filled(0x33));
        Result r = assertDoesNotThrow(() -> {
            p.completeHandshake();
            return p.resultsAtA.get(0);
        });
        assertEquals(Result.Dropped.DECRYPT_FAILED, r, "the initiator cannot open the responder's empty payload");
        assertEquals(List.of(Result.Ok.INITIATION), p.resultsAtB, "the responder cannot tell");
        assertNull(p.aPeer.current);
        assertNull(p.bPeer.current);
        assertEquals(0, p.sentBy(p.a, Protocol.MESSAGE_TRANSPORT), "no keepalive without a session");
        assertEquals(Result.Ok.STAGED, p.sendAtoB(Pair.aToB(10)));
        assertTrue(p.deliveredToB.isEmpty());
    }

    @Test
    void initiationFromUnknownKeyIsDroppedSilently() {
        Pair p = new Pair();
        Endpoint strangerAt = new Endpoint(new byte[] {(byte) 198, 51, 100, 7}, 4000);
        assertDroppedSilently(p, p.b, p.initiationFromStranger(), strangerAt, Result.Dropped.UNKNOWN_PEER);
        assertEquals(0, p.b.indexCount(), "nothing was allocated for it");
    }

    @Test
    void replayedInitiationIsStale() {
        Pair p = new Pair();
        p.completeHandshake();
        Pair.Datagram initiation = p.sent.get(0);
        assertEquals(Protocol.MESSAGE_INITIATION, initiation.type());
        Keypair session = p.bPeer.current;
        p.advance(1, TimeUnit.SECONDS);
        assertDroppedSilently(p, p.b, initiation.data(), initiation.from(), Result.Dropped.STALE_TIMESTAMP);
        assertSame(session, p.bPeer.current, "the session is untouched");
        Endpoint elsewhere = new Endpoint(new byte[] {(byte) 203, 0, 113, 9}, 1234);
        assertDroppedSilently(p, p.b, initiation.data(), elsewhere, Result.Dropped.STALE_TIMESTAMP);
        assertEquals(p.aEndpoint, p.bPeer.endpoint(), "a replay does not move the endpoint");
    }

    @Test
    void initiationsCloserThanTheRateAreAFlood() {
        Pair p = new Pair();
        p.a.initiateHandshake(p.aPeer, p.out(p.a));
        assertEquals(Result.Ok.INITIATION, p.inject(p.take()));
        p.inFlight.clear();

        // A second instance of A with the same key: a newer timestamp (the wall clock moved on by a second, past
        // the TAI64N whitening) but only 10 ms of monotonic time since the first initiation.
        p.clock.advance(10, TimeUnit.MILLISECONDS);
        p.clock.stepWallClock(TimeUnit.SECONDS.toNanos(1));
        assertDroppedSilently(p, p.b, initiationFromTwinOfA(p), p.aEndpoint, Result.Dropped.FLOOD);

        p.clock.advance(11, TimeUnit.MILLISECONDS);  // 21 ms after the last one consumed
        p.clock.stepWallClock(TimeUnit.SECONDS.toNanos(1));
        assertEquals(Result.Ok.INITIATION, p.inject(p.b, initiationFromTwinOfA(p), p.aEndpoint));
    }

    /** An initiation from a fresh node holding A's static key, so it is not bound by A's own retry spacing. */
    private static byte[] initiationFromTwinOfA(Pair p) {
        Node twin = new Node(p.clock, p.random, Aead.defaultBackend());
        twin.setStaticKey(new MemoryStaticKey(p.aPrivate));
        Peer toB = twin.addPeer(p.b.publicKey());
        toB.setEndpoint(p.bEndpoint);
        int before = p.sent.size();
        twin.initiateHandshake(toB, p.out(twin));
        assertEquals(before + 1, p.sent.size());
        p.inFlight.clear();
        return p.sent.get(before).data();
    }

    @Test
    void sameWhitenedTimestampIsStale() {
        Pair p = new Pair();
        // TAI64N whitening keeps nanoseconds in steps of 2^24 ns (about 16.8 ms): start at the beginning of a step.
        long step = 1L << 24;
        p.clock.stepWallClock(step - (Math.floorMod(p.clock.epochNanos(), 1_000_000_000L) & (step - 1)));
        p.a.initiateHandshake(p.aPeer, p.out(p.a));
        assertEquals(Result.Ok.INITIATION, p.inject(p.take()));
        p.inFlight.clear();
        // 30 ms of monotonic time (no flood), but the wall clock moves only 10 ms: the same whitened timestamp.
        p.clock.advance(30, TimeUnit.MILLISECONDS);
        p.clock.stepWallClock(-TimeUnit.MILLISECONDS.toNanos(20));
        assertDroppedSilently(p, p.b, initiationFromTwinOfA(p), p.aEndpoint, Result.Dropped.STALE_TIMESTAMP);
    }

    @Test
    void replayedResponseIsDropped() {
        Pair p = new Pair();
        p.completeHandshake();
        Pair.Datagram response = p.sent.stream().filter(d -> d.type() == Protocol.MESSAGE_RESPONSE).findFirst().orElseThrow();
        Keypair session = p.aPeer.current;
        assertDroppedSilently(p, p.a, response.data(), response.from(), Result.Dropped.UNKNOWN_INDEX);
        assertSame(session, p.aPeer.current);

        // Still dropped while a new handshake of A is in flight: it names the old index.
        p.advance(6, TimeUnit.SECONDS);
        assertTrue(p.inFlight.isEmpty());
        p.aPeer.sendHandshakeInitiation(false, p.clock.nanoTime(), p.out(p.a));
        p.inFlight.clear();
        assertEquals(Handshake.State.INITIATION_CREATED, p.aPeer.handshake.state);
        assertDroppedSilently(p, p.a, response.data(), response.from(), Result.Dropped.UNKNOWN_INDEX);
        assertEquals(Handshake.State.INITIATION_CREATED, p.aPeer.handshake.state);
    }

    @Test
    void responseToAnIndexThatIsNotOursIsUnknown() {
        Pair p = new Pair();
        p.a.initiateHandshake(p.aPeer, p.out(p.a));
        assertEquals(Result.Ok.INITIATION, p.inject(p.take()));
        byte[] response = p.take().data();
        int ours = Messages.u32(response, Messages.RESP_RECEIVER);
        int other = ours + 1;
        assertNull(p.a.indexTable().get(other));
        Messages.putU32(response, Messages.RESP_RECEIVER, other);
        Pair.writeMac1(response, p.a.publicKey());
        assertDroppedSilently(p, p.a, response, p.bEndpoint, Result.Dropped.UNKNOWN_INDEX);
        assertEquals(Handshake.State.INITIATION_CREATED, p.aPeer.handshake.state);
        assertNull(p.aPeer.current);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 7, 15})
    void wrongMac1IsDroppedSilentlyAndLeavesNoTrace(int at) {
        Pair p = new Pair();
        p.a.initiateHandshake(p.aPeer, p.out(p.a));
        Pair.Datagram initiation = p.take();
        byte[] bad = initiation.data().clone();
        bad[Messages.INIT_MAC1 + at] ^= 0x01;
        assertDroppedSilently(p, p.b, bad, p.aEndpoint, Result.Dropped.BAD_MAC1);
        assertEquals(Result.Ok.INITIATION, p.inject(initiation), "the genuine initiation still works");

        byte[] response = p.take().data();
        byte[] badResponse = response.clone();
        badResponse[Messages.RESP_MAC1 + at] ^= (byte) 0x80;
        assertDroppedSilently(p, p.a, badResponse, p.bEndpoint, Result.Dropped.BAD_MAC1);
        assertEquals(Result.Ok.RESPONSE, p.inject(p.a, response, p.bEndpoint));
    }

    @Test
    void mac1ForAnotherReceiverIsBad() {
        Pair p = new Pair();
        p.a.initiateHandshake(p.aPeer, p.out(p.a));
        byte[] initiation = p.take().data();
        Pair.writeMac1(initiation, p.a.publicKey());  // keyed for A, sent to B
        assertDroppedSilently(p, p.b, initiation, p.aEndpoint, Result.Dropped.BAD_MAC1);
    }

    /** Curve25519 points of small order (and their non-canonical encodings): every DH with them is all zeros. */
    private static final String[] LOW_ORDER = {
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        // The same with the top bit set, which X25519 ignores.
        "0000000000000000000000000000000000000000000000000000000000000080",
        "0100000000000000000000000000000000000000000000000000000000000080",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    };

    /**
     * An initiation from A to B written by hand after the whitepaper, with the given ephemeral public key and the
     * given es result: what an initiator that does not reject all-zero DH results would send.
     */
    private static byte[] forgeInitiation(Pair p, byte[] ePub, byte[] es) {
        Aead aead = Aead.defaultBackend();
        byte[] ss = new byte[32];
        assertTrue(new MemoryStaticKey(p.aPrivate).dh(p.b.publicKey(), ss));
        NoiseIk start = NoiseIk.start(aead, Protocol.IDENTIFIER, p.b.publicKey());
        byte[] h = Blake2s.hash(start.hash, ePub);
        byte[] ck = Kdf.kdf1(start.chainKey, ePub);
        byte[][] t = Kdf.kdf2(ck, es);
        byte[] msg = new byte[Protocol.INITIATION_SIZE];
        Messages.header(msg, 0, Protocol.MESSAGE_INITIATION);
        Messages.putU32(msg, Messages.INIT_SENDER, 0x1234);
        System.arraycopy(ePub, 0, msg, 8, 32);
        aead.seal(t[1], 0, p.a.publicKey(), 0, 32, h, msg, 40);
        h = Blake2s.hash(h, Arrays.copyOfRange(msg, 40, 88));
        t = Kdf.kdf2(t[0], ss);
        aead.seal(t[1], 0, Tai64n.encode(p.clock.epochNanos()), 0, Tai64n.LEN, h, msg, 88);
        Pair.writeMac1(msg, p.b.publicKey());
        return msg;
    }

    @Test
    void forgedInitiationWithAGenuineEphemeralIsAccepted() {
        Pair p = new Pair();
        byte[] ePriv = X25519.generatePrivateKey(p.random);
        byte[] es = new byte[32];
        assertTrue(X25519.sharedSecret(ePriv, p.b.publicKey(), es));
        assertEquals(Result.Ok.INITIATION, p.inject(p.b, forgeInitiation(p, X25519.publicKey(ePriv), es), p.aEndpoint),
            "the hand-written initiation is sound, so the low-order cases below fail for the right reason");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13})
    void lowOrderEphemeralInInitiationIsDropped(int point) {
        Pair p = new Pair();
        byte[] initiation = forgeInitiation(p, HexFormat.of().parseHex(LOW_ORDER[point]), new byte[32]);
        assertDroppedSilently(p, p.b, initiation, p.aEndpoint, Result.Dropped.DECRYPT_FAILED);
        assertNull(p.bPeer.next);
        assertEquals(0, p.b.indexCount());
    }

    /**
     * B's response to A's initiation, written by hand after the whitepaper with the given ephemeral public key and
     * the given ee and se results. The test plays B with B's private key.
     */
    private static byte[] forgeResponse(Pair p, byte[] initiation, byte[] ePub, byte[] ee, byte[] se) {
        Aead aead = Aead.defaultBackend();
        MemoryStaticKey bStatic = new MemoryStaticKey(p.bPrivate);
        NoiseIk n = NoiseIk.start(aead, Protocol.IDENTIFIER, p.b.publicKey());
        byte[] initiatorEphemeral = new byte[32];
        byte[] initiatorStatic = n.readMessageAStatic(bStatic, initiation, Messages.INIT_NOISE, initiatorEphemeral);
        byte[] ss = new byte[32];
        assertTrue(bStatic.dh(initiatorStatic, ss));
        assertNotNull(n.readMessageAPayload(ss, initiation, Messages.INIT_NOISE, Tai64n.LEN));
        byte[] h = Blake2s.hash(n.hash, ePub);
        byte[] ck = Kdf.kdf1(n.chainKey, ePub);
        ck = Kdf.kdf1(ck, ee);
        ck = Kdf.kdf1(ck, se);
        byte[][] t = Kdf.kdf3(ck, new byte[32]);
        h = Blake2s.hash(h, t[1]);
        byte[] msg = new byte[Protocol.RESPONSE_SIZE];
        Messages.header(msg, 0, Protocol.MESSAGE_RESPONSE);
        Messages.putU32(msg, Messages.RESP_SENDER, 0x4321);
        Messages.putU32(msg, Messages.RESP_RECEIVER, Messages.u32(initiation, Messages.INIT_SENDER));
        System.arraycopy(ePub, 0, msg, Messages.RESP_NOISE, 32);
        aead.seal(t[2], 0, new byte[0], 0, 0, h, msg, 44);
        Pair.writeMac1(msg, p.a.publicKey());
        return msg;
    }

    @Test
    void forgedResponseWithAGenuineEphemeralIsAccepted() {
        Pair p = new Pair();
        p.a.initiateHandshake(p.aPeer, p.out(p.a));
        byte[] initiation = p.take().data();
        byte[] ePriv = X25519.generatePrivateKey(p.random);
        byte[] ee = new byte[32];
        byte[] se = new byte[32];
        assertTrue(X25519.sharedSecret(ePriv, Arrays.copyOfRange(initiation, 8, 40), ee));
        assertTrue(X25519.sharedSecret(ePriv, p.a.publicKey(), se));
        assertEquals(Result.Ok.RESPONSE, p.inject(p.a, forgeResponse(p, initiation, X25519.publicKey(ePriv), ee, se), p.bEndpoint));
        assertNotNull(p.aPeer.current);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13})
    void lowOrderEphemeralInResponseIsDropped(int point) {
        Pair p = new Pair();
        p.a.initiateHandshake(p.aPeer, p.out(p.a));
        byte[] initiation = p.take().data();
        byte[] zero = new byte[32];
        byte[] response = forgeResponse(p, initiation, HexFormat.of().parseHex(LOW_ORDER[point]), zero, zero);
        assertDroppedSilently(p, p.a, response, p.bEndpoint, Result.Dropped.DECRYPT_FAILED);
        assertNull(p.aPeer.current);
        assertEquals(Handshake.State.INITIATION_CREATED, p.aPeer.handshake.state, "a forged response changes nothing");
    }
}
