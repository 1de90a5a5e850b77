package dev.veil.offload;

import static dev.veil.offload.Packets.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.veil.buffer.PacketBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CoalescerTest {
    private final Coalescer gro = new Coalescer();

    private static PacketBatch batch(byte[]... packets) {
        PacketBatch b = new PacketBatch(Math.max(1, packets.length), 65536);
        for (byte[] p : packets) assertTrue(b.add(p, 0, p.length, null));
        return b;
    }

    /** Plans the batch and returns each output's starting packet index and IP length, as wireguard-go's tests do. */
    private int[][] plan(boolean udp, byte[]... packets) {
        gro.plan(batch(packets), udp);
        int[] origins = new int[gro.outputs()], lens = new int[gro.outputs()];
        for (int k = 0; k < gro.outputs(); k++) {
            origins[k] = gro.origin(k);
            lens[k] = gro.outputLength(k) - VirtioNetHdr.LENGTH;
        }
        return new int[][] {origins, lens};
    }

    private void expect(int[] origins, int[] lens, int[][] got) {
        assertArrayEquals(origins, got[0], "outputs start at");
        assertArrayEquals(lens, got[1], "output lengths");
    }

    private static byte[] tcp4(int seq, int flags) {
        return Packets.tcp4().seq(seq).flags(flags).build();
    }

    private static byte[] tcp4(byte[] dst, int seq) {
        return Packets.tcp4().to(dst).seq(seq).build();
    }

    private static byte[] tcp6(int seq, int flags) {
        return Packets.tcp6().seq(seq).flags(flags).build();
    }

    private static byte[] tcp6(byte[] dst, int seq) {
        return Packets.tcp6().to(dst).seq(seq).build();
    }

    private static byte[] udp4(byte[] dst) {
        return Packets.udp4().to(dst).build();
    }

    private static byte[] udp6(byte[] dst) {
        return Packets.udp6().to(dst).build();
    }

    private byte[][] mixedFlows() {
        return new byte[][] {
            tcp4(1, ACK), udp4(V4_B), udp4(V4_C), tcp4(101, ACK), tcp4(V4_C, 201),
            tcp6(1, ACK), tcp6(101, ACK), tcp6(V6_C, 201), udp4(V4_B), udp6(V6_B), udp6(V6_B)};
    }

    // ---- wireguard-go's Test_handleGRO cases ----

    @Test
    void multipleProtocolsAndFlows() {
        expect(new int[] {0, 1, 2, 4, 5, 7, 9}, new int[] {240, 228, 128, 140, 260, 160, 248},
            plan(true, mixedFlows()));
    }

    @Test
    void multipleProtocolsAndFlowsWithoutUdpGro() {
        expect(new int[] {0, 1, 2, 4, 5, 7, 8, 9, 10}, new int[] {240, 128, 128, 140, 260, 160, 128, 148, 148},
            plan(false, mixedFlows()));
    }

    @Test
    void pshEndsARun() {
        expect(new int[] {0, 2, 4, 6}, new int[] {240, 240, 260, 260}, plan(true,
            tcp4(1, ACK), tcp4(101, ACK | PSH), tcp4(201, ACK), tcp4(301, ACK),
            tcp6(1, ACK), tcp6(101, ACK | PSH), tcp6(201, ACK), tcp6(301, ACK)));
    }

    @Test
    void badChecksumsAreNotMerged() {
        expect(new int[] {0, 1, 3, 4}, new int[] {140, 240, 128, 228}, plan(true,
            flip(tcp4(1, ACK), 20 + 16), tcp4(101, ACK), tcp4(201, ACK),
            flip(udp4(V4_B), 20 + 6), udp4(V4_B), udp4(V4_B)));
        assertEquals(2, gro.badChecksums());
    }

    @Test
    void aSegmentThatArrivesEarlyIsPutInFront() {
        expect(new int[] {0}, new int[] {340}, plan(true, tcp4(101, ACK), tcp4(1, ACK), tcp4(201, ACK)));
    }

    @Test
    void unequalIpHeaderFieldsDoNotMerge() {
        Packets.Spec[][] pairs = {
            {Packets.tcp4(), Packets.tcp4().seq(101)}, {Packets.udp4(), Packets.udp4()},
            {Packets.tcp6(), Packets.tcp6().seq(101)}, {Packets.udp6(), Packets.udp6()}};
        for (String field : new String[] {"ttl", "tos", "mf", "df"}) {
            for (Packets.Spec[] pair : pairs) {
                Packets.Spec b = pair[1];
                switch (field) {
                    case "ttl" -> b.ttl++;
                    case "tos" -> b.tos++;
                    case "mf" -> b.ipFlags = 1;
                    default -> b.ipFlags = 2;
                }
                if (pair[0].v6 && (field.equals("mf") || field.equals("df"))) continue;
                if (pair[0].v6 && field.equals("tos")) b.tos = 0x10;  // traffic class
                int len = pair[0].build().length;
                expect(new int[] {0, 1}, new int[] {len, len}, plan(true, pair[0].build(), b.build()));
                b.ttl = 64;
                b.tos = 0;
                b.ipFlags = 0;
            }
        }
    }

    // ---- further rules ----

    @Test
    void differentAcksOptionsOrFlagsDoNotMerge() {
        Packets.Spec other = Packets.tcp4().seq(101);
        other.ack = 2;
        expect(new int[] {0, 1}, new int[] {140, 140}, plan(true, tcp4(1, ACK), other.build()));
        Packets.Spec a = Packets.tcp4(), b = Packets.tcp4().seq(101);
        a.options = new byte[] {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
        b.options = new byte[] {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 3};
        expect(new int[] {0, 1}, new int[] {152, 152}, plan(true, a.build(), b.build()));
        b.options = a.options;
        expect(new int[] {0}, new int[] {252}, plan(true, a.build(), b.build()));
        for (int flags : new int[] {ACK | FIN, ACK | SYN, ACK | CWR, ACK | ECE, PSH}) {
            expect(new int[] {0, 1}, new int[] {140, 140}, plan(true, tcp4(1, ACK), tcp4(101, flags)));
        }
        byte[] empty = Packets.tcp4().seq(101).payload(0).build();
        expect(new int[] {0, 1}, new int[] {140, 40}, plan(true, tcp4(1, ACK), empty));
        expect(new int[] {0, 1}, new int[] {140, 140}, plan(true, tcp4(1, ACK), tcp4(102, ACK)));  // a gap
    }

    @Test
    void onlyTheLastSegmentMayBeShorter() {
        byte[] a = Packets.tcp4().payload(100).build(), shorter = Packets.tcp4().seq(101).payload(50).build();
        byte[] after = Packets.tcp4().seq(151).payload(50).build();
        expect(new int[] {0, 2}, new int[] {190, 90}, plan(true, a, shorter, after));
        byte[] larger = Packets.tcp4().seq(101).payload(120).build();
        expect(new int[] {0, 1}, new int[] {140, 160}, plan(true, a, larger));
        byte[] u = Packets.udp4().payload(100).build(), us = Packets.udp4().payload(10).build();
        expect(new int[] {0, 2}, new int[] {138, 128}, plan(true, u, us, u));
    }

    @Test
    void ipv4OptionsAndOtherProtocolsPassThrough() {
        byte[] withOptions = tcp4(1, ACK);
        withOptions[0] = 0x46;
        byte[] icmp = tcp4(101, ACK);
        icmp[9] = 1;
        expect(new int[] {0, 1, 2}, new int[] {140, 140, 140}, plan(true, withOptions, icmp, tcp4(201, ACK)));
        expect(new int[] {0, 1}, new int[] {1, 3}, plan(true, new byte[] {0x45}, new byte[] {0x60, 0, 0}));
    }

    @Test
    void runsStopAt64KilobytesAndUdpAt64Datagrams() {
        List<byte[]> tcp = new ArrayList<>();
        for (int i = 0; i < 60; i++) tcp.add(Packets.tcp4().seq(1 + i * 1400).payload(1400).build());
        int[][] got = plan(true, tcp.toArray(byte[][]::new));
        assertEquals(2, got[0].length);
        assertEquals(40 + 46 * 1400, got[1][0], "46 segments of 1400 bytes fit in 64 KB");
        List<byte[]> udp = new ArrayList<>();
        for (int i = 0; i < 70; i++) udp.add(Packets.udp6().payload(100).build());
        got = plan(true, udp.toArray(byte[][]::new));
        assertArrayEquals(new int[] {0, 64}, got[0]);
    }

    // ---- what the kernel gets ----

    /**
     * Segments a kernel-style super-packet, coalesces the segments back and checks the result is what the kernel
     * accepts from a TUN with offloads (vnet header, lengths, header checksum, pseudo-header sum in the checksum
     * field, and a full checksum once completed) and that segmenting it again gives back the very same packets.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tcp4", "tcp6", "udp4", "udp6"})
    void coalescedPacketsAreWhatTheKernelAccepts(String kind) {
        Packets.Spec s = switch (kind) {
            case "tcp4" -> Packets.tcp4();
            case "tcp6" -> Packets.tcp6();
            case "udp4" -> Packets.udp4();
            default -> Packets.udp6();
        };
        s.flags = ACK | PSH;
        s.id = 77;
        s.payload = 1380 * 20 + 333;
        if (s.tcp) s.options = new byte[] {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
        byte[] sp = s.superPacket(1380);
        Segmenter seg = new Segmenter();
        assertTrue(seg.load(sp, 0, sp.length));
        PacketBatch segments = new PacketBatch(64, 65536);
        seg.drainInto(segments);
        assertEquals(21, segments.count());
        List<byte[]> originals = new ArrayList<>();
        for (int i = 0; i < segments.count(); i++) originals.add(Arrays.copyOf(segments.buffer(i), segments.length(i)));

        gro.plan(segments, true);
        assertEquals(1, gro.outputs());
        assertEquals(21, gro.members(0));
        byte[] out = new byte[Coalescer.MAX_OUTPUT];
        int len = gro.emit(0, out, 0);
        assertEquals(gro.outputLength(0), len);
        VirtioNetHdr h = new VirtioNetHdr();
        assertTrue(h.read(out, 0, len));
        int t = s.ipHeader(), headers = t + s.transportHeader();
        assertEquals(VirtioNetHdr.F_NEEDS_CSUM, h.flags);
        int type = s.tcp ? (s.v6 ? VirtioNetHdr.GSO_TCPV6 : VirtioNetHdr.GSO_TCPV4) : VirtioNetHdr.GSO_UDP_L4;
        assertEquals(type, h.gsoType);
        assertEquals(1380, h.gsoSize);
        assertEquals(headers, h.hdrLen);
        assertEquals(t, h.csumStart);
        assertEquals(s.tcp ? 16 : 6, h.csumOffset);
        // Byte for byte what the kernel hands a TUN for the same send, which it also takes back.
        assertArrayEquals(sp, Arrays.copyOf(out, len));

        byte[] ip = Arrays.copyOfRange(out, 10, len);
        byte[] src = Arrays.copyOfRange(ip, s.v6 ? 8 : 12, s.v6 ? 24 : 16);
        byte[] dst = Arrays.copyOfRange(ip, s.v6 ? 24 : 16, s.v6 ? 40 : 20);
        int proto = s.tcp ? 6 : 17;
        assertEquals(pseudo(src, dst, proto, ip.length - t), u16(ip, t + h.csumOffset),
            "pseudo-header sum, not complemented");
        // The checksum the kernel completes (CHECKSUM_PARTIAL) makes a valid packet.
        put16(ip, t + h.csumOffset, ~sum(ip, t, ip.length - t, 0) & 0xffff);
        assertTrue(checksumsValid(ip));

        Segmenter again = new Segmenter();
        assertTrue(again.load(out, 0, len));
        PacketBatch back = new PacketBatch(64, 65536);
        again.drainInto(back);
        assertEquals(originals.size(), back.count());
        for (int i = 0; i < back.count(); i++) {
            assertArrayEquals(originals.get(i), Arrays.copyOf(back.buffer(i), back.length(i)), "segment " + i);
        }
    }

    @Test
    void unmergedPacketsGetAZeroHeaderAndStayUnchanged() {
        byte[] p = tcp4(1, ACK | FIN);
        PacketBatch b = batch(p);
        gro.plan(b, true);
        byte[] out = new byte[Coalescer.MAX_OUTPUT];
        Arrays.fill(out, (byte) 0x55);
        int len = gro.emit(0, out, 0);
        assertArrayEquals(new byte[10], Arrays.copyOf(out, 10));
        assertArrayEquals(p, Arrays.copyOfRange(out, 10, len));
        assertArrayEquals(p, Arrays.copyOf(b.buffer(0), b.length(0)), "the batch is not changed");
    }

    @Test
    void interleavedFlowsEachMerge() {
        byte[][] in = new byte[8][];
        for (int i = 0; i < 4; i++) {
            in[2 * i] = tcp4(V4_B, 1 + 100 * i);
            in[2 * i + 1] = tcp4(V4_C, 1 + 100 * i);
        }
        expect(new int[] {0, 1}, new int[] {440, 440}, plan(true, in));
        assertEquals(6, gro.merged());
    }
}
