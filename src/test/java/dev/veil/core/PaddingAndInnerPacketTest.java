package dev.veil.core;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Plaintext padding (to a multiple of 16, never past the MTU), the receiver's trimming by the inner IPv4 or IPv6
 * header, the rejection of inner packets with bad headers, and cryptokey routing on receipt: an inner source outside
 * the sending peer's AllowedIPs is dropped.
 */
class PaddingAndInnerPacketTest {
    @ParameterizedTest
    @CsvSource({
        // len, mtu, padded
        "0, 1420, 0", "1, 1420, 16", "15, 1420, 16", "16, 1420, 16", "17, 1420, 32", "1404, 1420, 1408",
        "1405, 1420, 1408", "1409, 1420, 1420", "1419, 1420, 1420", "1420, 1420, 1420",
        "0, 0, 0", "1, 0, 16", "15, 0, 16", "16, 0, 16", "17, 0, 32", "1419, 0, 1424", "1420, 0, 1424",
        "1, 1421, 16", "1419, 1421, 1421", "1421, 1421, 1421", "1280, 1280, 1280", "1279, 1280, 1280",
        // Longer than the MTU (wireguard-go pads the remainder modulo the MTU).
        "1421, 1420, 1436", "1436, 1420, 1436"
    })
    void paddedLength(int len, int mtu, int padded) {
        assertEquals(padded, Peer.paddedLength(len, mtu));
    }

    @Test
    void paddingNeverPassesTheMtuAndAlwaysCoversThePacket() {
        for (int mtu : new int[] {0, 576, 1280, 1420, 1421, 1500}) {
            for (int len = 0; len <= (mtu == 0 ? 1500 : mtu); len++) {
                int padded = Peer.paddedLength(len, mtu);
                assertTrue(padded >= len && padded - len < Protocol.PADDING_MULTIPLE, len + "/" + mtu);
                if (mtu > 0) assertTrue(padded <= mtu, len + " padded past mtu " + mtu);
                assertTrue(padded % Protocol.PADDING_MULTIPLE == 0 || padded == mtu, len + "/" + mtu);
            }
        }
    }

    private static byte[] ipv4(int totalLengthField, int size) {
        byte[] p = new byte[size];
        p[0] = 0x45;
        p[2] = (byte) (totalLengthField >>> 8);
        p[3] = (byte) totalLengthField;
        return p;
    }

    private static byte[] ipv6(int payloadLengthField, int size) {
        byte[] p = new byte[size];
        p[0] = 0x60;
        p[4] = (byte) (payloadLengthField >>> 8);
        p[5] = (byte) payloadLengthField;
        return p;
    }

    @Test
    void innerLengthTrimsByTheIpv4TotalLength() {
        assertEquals(21, Peer.innerLength(ipv4(21, 32), 0, 32), "padding removed");
        assertEquals(20, Peer.innerLength(ipv4(20, 20), 0, 20));
        assertEquals(1420, Peer.innerLength(ipv4(1420, 1420), 0, 1420));
        assertEquals(300, Peer.innerLength(ipv4(300, 2048), 0, 320), "n, not the array, bounds the packet");
    }

    @Test
    void innerLengthTrimsByTheIpv6PayloadLengthPlus40() {
        assertEquals(43, Peer.innerLength(ipv6(3, 48), 0, 48));
        assertEquals(40, Peer.innerLength(ipv6(0, 48), 0, 48));
        assertEquals(1420, Peer.innerLength(ipv6(1380, 1420), 0, 1420));
    }

    @Test
    void innerLengthRejectsShortHeadersAndOverlongLengths() {
        assertEquals(-1, Peer.innerLength(ipv4(19, 19), 0, 19), "shorter than an IPv4 header");
        assertEquals(-1, Peer.innerLength(ipv4(19, 32), 0, 32), "total length below the header size");
        assertEquals(-1, Peer.innerLength(ipv4(33, 32), 0, 32), "total length past the data");
        assertEquals(-1, Peer.innerLength(ipv4(300, 2048), 0, 299), "past n, even if the array is longer");
        assertEquals(-1, Peer.innerLength(ipv6(0, 39), 0, 39), "shorter than an IPv6 header");
        assertEquals(-1, Peer.innerLength(ipv6(9, 48), 0, 48), "payload length past the data");
        assertEquals(-1, Peer.innerLength(ipv6(0xffff, 48), 0, 48));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 5, 7, 8, 15})
    void innerLengthRejectsOtherVersions(int version) {
        byte[] p = ipv4(40, 64);
        p[0] = (byte) (version << 4 | 5);
        assertEquals(-1, Peer.innerLength(p, 0, 64));
    }

    @Test
    void oneBytePayloadArrivesWithItsOriginalLength() {
        Pair p = new Pair();
        p.completeHandshake();
        byte[] packet = Pair.aToB(1);
        assertEquals(21, packet.length);
        assertEquals(Result.Ok.SENT, p.sendAtoB(packet));
        Pair.Datagram d = p.sent.get(p.sent.size() - 1);
        assertEquals(Protocol.TRANSPORT_HEADER_SIZE + 32 + Protocol.TAG_SIZE, d.data().length, "padded to 32 on the wire");
        assertEquals(1, p.deliveredToB.size());
        assertArrayEquals(packet, p.deliveredToB.get(0), "delivered without the padding");
    }

    @Test
    void packetJustUnderTheMtuIsPaddedOnlyToTheMtu() {
        Pair p = new Pair();
        p.completeHandshake();
        byte[] packet = Pair.aToB(1419 - 20);
        assertEquals(Result.Ok.SENT, p.sendAtoB(packet));
        assertEquals(Protocol.TRANSPORT_OVERHEAD + 1420, p.sent.get(p.sent.size() - 1).data().length);
        assertArrayEquals(packet, p.deliveredToB.get(0));
    }

    @Test
    void ipv6PacketArrivesWithItsOriginalLength() {
        Pair p = new Pair();
        byte[] a6 = new byte[16];
        byte[] b6 = new byte[16];
        a6[0] = b6[0] = (byte) 0xfd;
        a6[15] = 1;
        b6[15] = 2;
        p.a.allowedIps().insert(b6, 128, p.aPeer);
        p.b.allowedIps().insert(a6, 128, p.bPeer);
        p.completeHandshake();
        byte[] packet = ipv6(3, 43);
        System.arraycopy(a6, 0, packet, 8, 16);
        System.arraycopy(b6, 0, packet, 24, 16);
        packet[40] = 7;
        assertEquals(Result.Ok.SENT, p.sendAtoB(packet));
        assertArrayEquals(packet, p.deliveredToB.get(0));
    }

    @Test
    void trailingBytesBeyondTheIpLengthAreTrimmed() {
        Pair p = new Pair();
        p.completeHandshake();
        byte[] packet = Pair.bToA(1);
        byte[] withTrailer = Arrays.copyOf(packet, packet.length + 5);
        assertEquals(Result.Ok.SENT, p.b.sendTo(p.bPeer, withTrailer, 0, withTrailer.length, p.out(p.b)));
        p.pump();
        assertArrayEquals(packet, p.deliveredToA.get(0));
    }

    @Test
    void sourceOutsideTheSendersAllowedIpsIsDropped() {
        Pair p = new Pair();
        Peer carol = p.a.addPeer(new MemoryStaticKey(new byte[32]).publicKey());
        byte[] carolInner = {10, 10, 0, 3};
        p.a.allowedIps().insert(carolInner, 32, carol);
        p.completeHandshake();
        int before = p.resultsAtA.size();

        byte[] unknownSource = Pair.ipv4(new byte[] {10, 10, 0, 99}, Pair.A_INNER, 8);
        byte[] carolsSource = Pair.ipv4(carolInner, Pair.A_INNER, 8);
        assertEquals(Result.Ok.SENT, p.sendBtoA(unknownSource), "B routes it by destination");
        assertEquals(Result.Ok.SENT, p.sendBtoA(carolsSource));
        assertEquals(List.of(Result.Dropped.DISALLOWED_SOURCE, Result.Dropped.DISALLOWED_SOURCE),
            p.resultsAtA.subList(before, p.resultsAtA.size()));
        assertTrue(p.deliveredToA.isEmpty());
        assertEquals(2, p.a.count(Result.Dropped.DISALLOWED_SOURCE));

        assertEquals(Result.Ok.SENT, p.sendBtoA(Pair.bToA(8)));
        assertEquals(1, p.deliveredToA.size(), "B's own source still passes");
    }

    @Test
    void badInnerHeadersAreDroppedAtTheReceiver() {
        Pair p = new Pair();
        p.completeHandshake();
        byte[] version5 = Pair.bToA(8);
        version5[0] = 0x55;
        byte[] overlong = Pair.bToA(12);  // 32 bytes, so not padded: the receiver sees exactly these
        overlong[3] += 1;                  // the total length claims one byte more than was sent
        for (byte[] bad : new byte[][] {version5, overlong}) {
            int before = p.resultsAtA.size();
            assertEquals(Result.Ok.SENT, p.b.sendTo(p.bPeer, bad, 0, bad.length, p.out(p.b)));
            p.pump();
            assertEquals(List.of(Result.Dropped.BAD_INNER_PACKET), p.resultsAtA.subList(before, p.resultsAtA.size()));
        }
        assertTrue(p.deliveredToA.isEmpty());
    }
}
