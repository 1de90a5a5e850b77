package dev.veil.core;

import static org.junit.jupiter.api.Assertions.*;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.veil.fuzz.FuzzInput;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Coverage-guided fuzzing of the inner IP header, both ways. A's TUN hands it arbitrary bytes as an inner packet
 * (flags bit 0: routed by {@link Node#send}, which reads the destination address, or sent straight to the peer,
 * which skips routing); what goes out, B decrypts and checks (IP version, length field against the padded
 * plaintext, source address against A's allowed IPs). Layout: one flags byte, then the packet.
 *
 * <p>Invariant, against an oracle written from RFC 791 and RFC 8200 here: no exception; routing sends exactly
 * the IPv4 and IPv6 packets addressed to B's allowed IPs; B delivers exactly the valid packets from A's allowed
 * IPs, cut to their length field (padding removed), and drops the rest as BAD_INNER_PACKET or DISALLOWED_SOURCE.
 * Inputs live in {@code InnerPacketFuzzTestInputs/innerPacket}.
 */
class InnerPacketFuzzTest {
    private static final byte[] A6 = address6(1);
    private static final byte[] B6 = address6(2);
    private static final Pair I = new Pair(19, null);

    static {
        I.a.allowedIps().insert(B6, 128, I.aPeer);
        I.b.allowedIps().insert(A6, 128, I.bPeer);
        I.completeHandshake();
        if (!I.aPeer.hasSession(I.clock.nanoTime())) throw new AssertionError("no session: " + I.resultsAtA);
    }

    private static byte[] address6(int last) {
        byte[] a = new byte[16];
        a[0] = (byte) 0xfd;
        a[15] = (byte) last;
        return a;
    }

    @FuzzTest
    void innerPacket(byte[] data) {
        FuzzInput in = new FuzzInput(data);
        boolean routed = in.bool();
        byte[] packet = in.rest();
        Result sent = assertDoesNotThrow(() -> routed ? I.a.send(packet, 0, packet.length, I.out(I.a))
            : I.a.sendTo(I.aPeer, packet, 0, packet.length, I.out(I.a)));
        if (routed && !routesToB(packet)) {
            assertEquals(packet.length > 0xffff ? Result.Dropped.TOO_LARGE : Result.Dropped.NO_ROUTE, sent);
            assertTrue(I.inFlight.isEmpty(), "nothing sent");
            return;
        }
        assertEquals(Result.Ok.SENT, sent);
        Pair.Datagram d = I.take();
        Result r = assertDoesNotThrow(() -> I.inject(d));

        byte[] plain = Arrays.copyOf(packet, Peer.paddedLength(packet.length, I.b.mtu()));
        int length = innerLength(plain);
        if (packet.length == 0) {
            assertEquals(Result.Ok.KEEPALIVE, r);
        } else if (length < 0) {
            assertEquals(Result.Dropped.BAD_INNER_PACKET, r);
        } else if (!fromA(plain)) {
            assertEquals(Result.Dropped.DISALLOWED_SOURCE, r);
        } else {
            assertEquals(Result.Ok.DATA, r);
            assertEquals(1, I.deliveredToB.size());
            assertArrayEquals(Arrays.copyOf(plain, length), I.deliveredToB.getFirst(), "cut to its length field");
        }
        if (r != Result.Ok.DATA) assertTrue(I.deliveredToB.isEmpty(), "nothing delivered");
        I.deliveredToB.clear();
        assertTrue(I.inFlight.isEmpty(), "B sends nothing on receipt");
    }

    private static int version(byte[] p) {
        return p.length == 0 ? 0 : (p[0] & 0xff) >>> 4;
    }

    /** A's allowed IPs are B's addresses: 10.10.0.2 and fd00::2. */
    private static boolean routesToB(byte[] p) {
        if (p.length > 0xffff) return false;
        if (version(p) == 4 && p.length >= 20) return Arrays.equals(p, 16, 20, Pair.B_INNER, 0, 4);
        if (version(p) == 6 && p.length >= 40) return Arrays.equals(p, 24, 40, B6, 0, 16);
        return false;
    }

    /** B's allowed IPs for A are 10.10.0.1 and fd00::1. */
    private static boolean fromA(byte[] p) {
        return version(p) == 4 ? Arrays.equals(p, 12, 16, Pair.A_INNER, 0, 4) : Arrays.equals(p, 8, 24, A6, 0, 16);
    }

    /** The total length an IPv4 or IPv6 header claims, or -1 when it is not a header or claims more than there is. */
    private static int innerLength(byte[] p) {
        int claimed;
        if (version(p) == 4 && p.length >= 20) {
            claimed = (p[2] & 0xff) << 8 | (p[3] & 0xff);
            if (claimed < 20) return -1;
        } else if (version(p) == 6 && p.length >= 40) {
            claimed = 40 + ((p[4] & 0xff) << 8 | (p[5] & 0xff));
        } else {
            return -1;
        }
        return claimed <= p.length ? claimed : -1;
    }

    static Map<String, byte[]> seeds() {
        Map<String, byte[]> s = new LinkedHashMap<>();
        s.put("seed-ipv4-routed", new FuzzInput.Builder().u8(1).bytes(Pair.aToB(30)).build());
        s.put("seed-ipv4-direct", new FuzzInput.Builder().u8(0).bytes(Pair.aToB(3)).build());
        byte[] spoofed = Pair.aToB(10);
        spoofed[12] = 99;
        s.put("seed-ipv4-spoofed-source", new FuzzInput.Builder().u8(0).bytes(spoofed).build());
        byte[] shortLength = Pair.aToB(10);
        shortLength[3] = 25;
        s.put("seed-ipv4-length-inside-padding", new FuzzInput.Builder().u8(1).bytes(shortLength).build());
        byte[] v6 = new byte[48];
        v6[0] = 0x60;
        v6[5] = 8;
        v6[6] = 17;
        v6[7] = 64;
        System.arraycopy(A6, 0, v6, 8, 16);
        System.arraycopy(B6, 0, v6, 24, 16);
        s.put("seed-ipv6-routed", new FuzzInput.Builder().u8(1).bytes(v6).build());
        s.put("seed-keepalive", new FuzzInput.Builder().u8(0).build());
        return s;
    }
}
