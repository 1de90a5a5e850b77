package dev.veil.offload;

import static dev.veil.offload.Packets.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.veil.buffer.PacketBatch;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class SegmenterTest {
    private final Segmenter seg = new Segmenter();

    private List<byte[]> segment(byte[] in) {
        return segment(in, 128);
    }

    private List<byte[]> segment(byte[] in, int batchSize) {
        List<byte[]> out = new ArrayList<>();
        if (!seg.load(in, 0, in.length)) return out;
        PacketBatch batch = new PacketBatch(batchSize, 65536);
        while (seg.hasNext()) {
            batch.clear();
            assertTrue(seg.drainInto(batch) > 0);
            for (int i = 0; i < batch.count(); i++) out.add(Arrays.copyOf(batch.buffer(i), batch.length(i)));
        }
        return out;
    }

    private static int[] lengths(List<byte[]> packets) {
        return packets.stream().mapToInt(p -> p.length).toArray();
    }

    /** wireguard-go's handleVirtioRead vectors: a 200-byte payload with gso_size 100 makes two packets. */
    @Test
    void wireguardGoVectors() {
        assertArrayEquals(new int[] {140, 140},
            lengths(segment(tcp4().flags(ACK | PSH).payload(200).superPacket(100))));
        assertArrayEquals(new int[] {160, 160},
            lengths(segment(tcp6().flags(ACK | PSH).payload(200).superPacket(100))));
        assertArrayEquals(new int[] {128, 128}, lengths(segment(udp4().payload(200).superPacket(100))));
        assertArrayEquals(new int[] {148, 148}, lengths(segment(udp6().payload(200).superPacket(100))));
        assertEquals(0, seg.dropped());
        assertEquals(4, seg.superPackets());
    }

    /** A TSO super-packet as the kernel hands it over, split as the kernel's tcp_gso_segment would. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void tcpSuperPacketBecomesValidSegments(boolean v6) {
        Packets.Spec s = v6 ? tcp6() : tcp4();
        s.options = new byte[] {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};  // NOP NOP timestamps
        s.flags = ACK | PSH | FIN | CWR | ECE;
        s.seq = 0xfffff000;  // the sequence numbers wrap inside the run
        s.id = 0xfffe;       // and so do the IPv4 ids
        int headers = s.ipHeader() + s.transportHeader();
        s.payload = 0xffff - headers;
        int gso = 1448;
        byte[] sp = s.superPacket(gso);
        List<byte[]> segs = segment(sp);
        int n = (s.payload + gso - 1) / gso;
        assertEquals(n, segs.size());
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        for (int i = 0; i < n; i++) {
            byte[] p = segs.get(i);
            boolean last = i == n - 1;
            int expectPayload = last ? s.payload - gso * (n - 1) : gso;
            assertEquals(headers + expectPayload, p.length);
            assertTrue(checksumsValid(p), "checksums of segment " + i);
            int t = s.ipHeader();
            if (v6) {
                assertEquals(p.length - 40, u16(p, 4));
            } else {
                assertEquals(p.length, u16(p, 2));
                assertEquals((0xfffe + i) & 0xffff, u16(p, 4), "IPv4 id increments");
            }
            assertEquals(s.seq + i * gso, u32(p, t + 4));
            assertEquals(1, u32(p, t + 8), "ack");
            int flags = p[t + 13] & 0xff;
            assertEquals(last, (flags & FIN) != 0, "FIN only on the last");
            assertEquals(last, (flags & PSH) != 0, "PSH only on the last");
            assertEquals(i == 0, (flags & CWR) != 0, "CWR only on the first");
            assertTrue((flags & ACK) != 0 && (flags & ECE) != 0);
            assertArrayEquals(s.options, Arrays.copyOfRange(p, t + 20, t + 32), "options copied");
            payload.write(p, headers, p.length - headers);
        }
        assertArrayEquals(Arrays.copyOfRange(sp, 10 + headers, sp.length), payload.toByteArray(),
            "payloads concatenate");
        assertEquals(n, seg.packets());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void udpSuperPacketBecomesValidDatagrams(boolean v6) {
        Packets.Spec s = v6 ? udp6() : udp4();
        s.payload = 1200 * 40 + 17;
        byte[] sp = s.superPacket(1200);
        List<byte[]> segs = segment(sp);
        assertEquals(41, segs.size());
        int headers = s.ipHeader() + 8;
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        for (int i = 0; i < segs.size(); i++) {
            byte[] p = segs.get(i);
            assertEquals(headers + (i == 40 ? 17 : 1200), p.length);
            assertTrue(checksumsValid(p), "checksums of datagram " + i);
            assertEquals(p.length - s.ipHeader(), u16(p, s.ipHeader() + 4), "UDP length");
            assertNotEquals(0, u16(p, s.ipHeader() + 6), "a UDP checksum is always sent");
            payload.write(p, headers, p.length - headers);
        }
        assertArrayEquals(Arrays.copyOfRange(sp, 10 + headers, sp.length), payload.toByteArray());
    }

    @Test
    void segmentsSpreadOverBatchesSmallerThanTheRun() {
        byte[] sp = tcp4().payload(100 * 30).superPacket(100);
        List<byte[]> all = segment(sp, 128);
        List<byte[]> small = segment(sp, 7);
        assertEquals(30, all.size());
        assertEquals(30, small.size());
        for (int i = 0; i < 30; i++) assertArrayEquals(all.get(i), small.get(i));
    }

    @Test
    void aGsoSizeAtLeastThePayloadMakesOnePacket() {
        byte[] sp = tcp6().payload(500).superPacket(1000);
        List<byte[]> segs = segment(sp);
        assertEquals(1, segs.size());
        assertArrayEquals(tcp6().payload(500).build(), segs.get(0), "the same packet the stack would have sent");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void partialChecksumIsCompleted(boolean udp) {
        Packets.Spec s = udp ? udp4() : tcp6();
        byte[] whole = s.build();
        byte[] sp = s.superPacket(1500);  // headers with the pseudo-header sum in the checksum field
        sp[1] = 0;                        // GSO_NONE with NEEDS_CSUM
        List<byte[]> out = segment(sp);
        assertEquals(1, out.size());
        assertArrayEquals(whole, out.get(0));
    }

    @Test
    void aUdpChecksumOfZeroIsSentAsOnes() {
        Packets.Spec s = udp4().payload(2);
        byte[] p = s.build();
        // Choose the payload word so that the checksum comes out 0: add the current checksum value to the sum.
        int t = 20;
        put16(p, t + 8, 0);
        put16(p, t + 6, 0);
        int check = ~sum(p, t, p.length - t, pseudo(V4_A, V4_B, 17, p.length - t)) & 0xffff;  // with the field 0
        put16(p, t + 8, check);
        byte[] sp = new byte[10 + p.length];
        System.arraycopy(p, 0, sp, 10, p.length);
        put16(sp, 10 + t + 6, pseudo(V4_A, V4_B, 17, p.length - t));
        sp[0] = 1;
        le16(sp, 6, t);
        le16(sp, 8, 6);
        List<byte[]> out = segment(sp);
        assertEquals(0xffff, u16(out.get(0), t + 6));
        assertTrue(checksumsValid(out.get(0)));
    }

    @Test
    void plainPacketsPassUnchanged() {
        byte[] p = tcp4().build();
        byte[] in = new byte[10 + p.length];
        System.arraycopy(p, 0, in, 10, p.length);
        assertArrayEquals(p, segment(in).get(0));
        assertEquals(0, seg.superPackets());
    }

    /** Each malformed input is dropped with its reason counted, and nothing comes out. */
    @Test
    void malformedInputIsDroppedAndCounted() {
        expectDrop(Segmenter.Drop.BAD_VNET_HEADER, new byte[5]);
        expectDrop(Segmenter.Drop.BAD_VNET_HEADER, new byte[10]);
        expectDrop(Segmenter.Drop.BAD_VNET_HEADER, mutate(tcp4().payload(300).superPacket(100), b -> b[1] = 3)); // UFO
        expectDrop(Segmenter.Drop.BAD_VNET_HEADER, mutate(tcp4().payload(300).superPacket(100), b -> b[1] = 9));
        expectDrop(Segmenter.Drop.BAD_VNET_HEADER, mutate(tcp4().payload(300).superPacket(100), b -> b[0] = 8));
        expectDrop(Segmenter.Drop.NOT_IP, mutate(tcp4().payload(300).superPacket(100), b -> b[10] = 0x25));
        expectDrop(Segmenter.Drop.NOT_IP, mutate(tcp4().payload(300).superPacket(100), b -> b[1] = 4)); // TCPV6 on v4
        expectDrop(Segmenter.Drop.NOT_IP, mutate(tcp6().payload(300).superPacket(100), b -> b[1] = 1));
        expectDrop(Segmenter.Drop.BAD_GSO, mutate(tcp4().payload(300).superPacket(100), b -> le16(b, 4, 0)));
        expectDrop(Segmenter.Drop.BAD_GSO, udp4().payload(300).superPacket(100), 0x81); // ECN on UDP
        expectDrop(Segmenter.Drop.BAD_GSO, mutate(udp4().payload(300).superPacket(100), b -> b[1] = 1)); // TCPV4 on UDP
        expectDrop(Segmenter.Drop.BAD_GSO, tcp4().payload(0).superPacket(100));
        expectDrop(Segmenter.Drop.BAD_GSO, mutate(tcp4().payload(300).superPacket(100), b -> b[10 + 6] = 0x20)); // MF
        expectDrop(Segmenter.Drop.BAD_LENGTH, mutate(tcp4().payload(300).superPacket(100), b -> le16(b, 2, 400)));
        expectDrop(Segmenter.Drop.BAD_LENGTH, mutate(tcp4().payload(300).superPacket(100), b -> put16(b, 12, 1000)));
        expectDrop(Segmenter.Drop.BAD_LENGTH, mutate(tcp6().payload(300).superPacket(100), b -> put16(b, 14, 1)));
        expectDrop(Segmenter.Drop.BAD_LENGTH, mutate(tcp4().payload(300).superPacket(100), b -> b[10] = 0x41));
        expectDrop(Segmenter.Drop.BAD_LENGTH, mutate(tcp4().payload(300).superPacket(100), b -> b[10 + 32] = 0x40));
        expectDrop(Segmenter.Drop.BAD_LENGTH, Arrays.copyOf(tcp4().payload(300).superPacket(100), 40));
        expectDrop(Segmenter.Drop.BAD_CHECKSUM_OFFSET,
            mutate(tcp4().payload(300).superPacket(100), b -> le16(b, 8, 6)));
        expectDrop(Segmenter.Drop.BAD_CHECKSUM_OFFSET,
            mutate(tcp4().payload(300).superPacket(100), b -> le16(b, 6, 24)));
        expectDrop(Segmenter.Drop.BAD_CHECKSUM_OFFSET, mutate(tcp4().build(), 0x01, 0, 0, 139, 0));
        expectDrop(Segmenter.Drop.BAD_CHECKSUM_OFFSET, mutate(tcp4().build(), 0x01, 0, 0, 130, 16));
    }

    private byte[] mutate(byte[] packet, int flags, int type, int hdrLen, int csumStart, int csumOffset) {
        byte[] in = new byte[10 + packet.length];
        System.arraycopy(packet, 0, in, 10, packet.length);
        VirtioNetHdr.write(in, 0, flags, type, hdrLen, 0, csumStart, csumOffset);
        return in;
    }

    private static byte[] mutate(byte[] b, java.util.function.Consumer<byte[]> change) {
        change.accept(b);
        return b;
    }

    private void expectDrop(Segmenter.Drop why, byte[] in, int gsoType) {
        in[1] = (byte) gsoType;
        expectDrop(why, in);
    }

    private void expectDrop(Segmenter.Drop why, byte[] in) {
        long before = seg.dropped(why);
        assertFalse(seg.load(in, 0, in.length), why.toString());
        assertFalse(seg.hasNext());
        assertEquals(before + 1, seg.dropped(why), why.toString());
    }

    @Test
    void hdrLenFromTheForwardingPathIsNotTrusted() {
        // On the forwarding path the kernel's hdr_len can cover payload; the headers are parsed instead.
        byte[] sp = tcp4().payload(300).superPacket(100);
        le16(sp, 2, 140);
        assertArrayEquals(new int[] {140, 140, 140}, lengths(segment(sp)));
    }

    @Test
    void aSegmentLargerThanTheBatchBuffersIsDropped() {
        byte[] sp = tcp4().payload(3000).superPacket(1500);
        assertTrue(seg.load(sp, 0, sp.length));
        PacketBatch small = new PacketBatch(4, 1000);
        assertEquals(0, seg.drainInto(small));
        assertEquals(1, seg.dropped(Segmenter.Drop.TOO_BIG));
        assertFalse(seg.hasNext());
    }
}
