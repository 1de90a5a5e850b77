package dev.veil.core;

import static org.junit.jupiter.api.Assertions.*;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.veil.fuzz.FuzzInput;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Coverage-guided fuzzing of the decrypt path: two nodes with a session; one encrypts a real inner packet (or a
 * keepalive), the fuzzer changes bytes of the transport message, cuts it or appends to it, and the other node
 * receives the result, optionally after the untouched message. Layout: flags (bit 0 direction B to A, bit 1 deliver
 * the original first, bit 2 keepalive), payload length, edit count (low 4 bits; bit 4 resize, bit 5 cut), then each
 * edit as a 2-byte position and an xor byte, then the resize amount and the appended bytes.
 *
 * <p>Invariant: the message is delivered, once and exactly, if and only if it is the authentic one arriving for the
 * first time; anything else is dropped with no exception, nothing delivered and nothing sent. Inputs live in
 * {@code TransportDecryptFuzzTestInputs/decrypt}.
 */
class TransportDecryptFuzzTest {
    private static final Pair S = new Pair(17, null);

    static {
        S.completeHandshake();  // initiation, response, and A's keepalive, which confirms B's keypair
        if (!S.aPeer.hasSession(S.clock.nanoTime()) || !S.bPeer.hasSession(S.clock.nanoTime())) {
            throw new AssertionError("no session: " + S.resultsAtA + " " + S.resultsAtB);
        }
    }

    @FuzzTest
    void decrypt(byte[] data) {
        FuzzInput in = new FuzzInput(data);
        int flags = in.u8();
        boolean aToB = (flags & 1) == 0;
        boolean originalFirst = (flags & 2) != 0;
        int payload = in.u8();
        byte[] packet = (flags & 4) != 0 ? new byte[0] : aToB ? Pair.aToB(payload) : Pair.bToA(payload);
        Node sender = aToB ? S.a : S.b;
        Node receiver = aToB ? S.b : S.a;
        List<byte[]> delivered = aToB ? S.deliveredToB : S.deliveredToA;

        assertEquals(Result.Ok.SENT, sender.sendTo(aToB ? S.aPeer : S.bPeer, packet, 0, packet.length, S.out(sender)));
        byte[] original = S.take().data();
        byte[] m = mutate(original, in);

        if (originalFirst) {
            Result first = S.inject(receiver, original, endpointOf(sender));
            assertEquals(packet.length == 0 ? Result.Ok.KEEPALIVE : Result.Ok.DATA, first);
            assertDelivered(packet, delivered);
        }
        int sent = S.sent.size();
        Result r = assertDoesNotThrow(() -> S.inject(receiver, m, endpointOf(sender)));
        if (!originalFirst && Arrays.equals(m, original)) {
            assertEquals(packet.length == 0 ? Result.Ok.KEEPALIVE : Result.Ok.DATA, r);
            assertDelivered(packet, delivered);
        } else {
            Result.Dropped reason = assertInstanceOf(Result.Dropped.class, r, "changed or replayed: dropped");
            if (Messages.check(m, 0, m.length) >= 0) assertNotEquals(Result.Dropped.MALFORMED, reason);
            assertTrue(delivered.isEmpty(), "nothing delivered");
        }
        assertEquals(sent, S.sent.size(), "nothing sent on receipt");
        assertTrue(S.inFlight.isEmpty());
    }

    private static byte[] mutate(byte[] original, FuzzInput in) {
        byte[] m = original.clone();
        int ops = in.u8();
        for (int i = 0; i < (ops & 15); i++) {
            int at = in.u16() % m.length;
            m[at] ^= (byte) in.u8();
        }
        if ((ops & 16) != 0) {
            int amount = in.u8();
            if ((ops & 32) != 0) {
                m = Arrays.copyOf(m, Math.max(0, m.length - amount));
            } else {
                byte[] extra = in.bytes(amount);
                m = Arrays.copyOf(m, m.length + amount);
                System.arraycopy(extra, 0, m, original.length, amount);
            }
        }
        return m;
    }

    private static Endpoint endpointOf(Node n) {
        return n == S.a ? S.aEndpoint : S.bEndpoint;
    }

    private static void assertDelivered(byte[] packet, List<byte[]> delivered) {
        if (packet.length == 0) {
            assertTrue(delivered.isEmpty(), "a keepalive delivers nothing");
        } else {
            assertEquals(1, delivered.size(), "delivered once");
            assertArrayEquals(packet, delivered.getFirst(), "delivered as sent");
        }
        delivered.clear();
    }

    static Map<String, byte[]> seeds() {
        Map<String, byte[]> s = new LinkedHashMap<>();
        s.put("seed-authentic-a-to-b", new FuzzInput.Builder().u8(0).u8(40).u8(0).build());
        s.put("seed-authentic-b-to-a", new FuzzInput.Builder().u8(1).u8(60).u8(0).build());
        s.put("seed-keepalive", new FuzzInput.Builder().u8(4).u8(0).u8(0).build());
        s.put("seed-replay", new FuzzInput.Builder().u8(2).u8(20).u8(0).build());
        s.put("seed-bit-in-tag", new FuzzInput.Builder().u8(0).u8(20).u8(1).u16(70).u8(1).build());
        s.put("seed-counter", new FuzzInput.Builder().u8(0).u8(20).u8(1).u16(8).u8(1).build());
        s.put("seed-cut", new FuzzInput.Builder().u8(0).u8(20).u8(16 | 32).u8(17).build());
        s.put("seed-appended", new FuzzInput.Builder().u8(1).u8(20).u8(16).u8(3).bytes(new byte[] {1, 2, 3}).build());
        return s;
    }
}
