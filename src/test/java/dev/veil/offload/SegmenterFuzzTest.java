package dev.veil.offload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Coverage-guided fuzzing of the TUN's vnet header and the segmentation path: arbitrary bytes as one buffer read
 * from an offload TUN (virtio_net_hdr, then an IP packet or super-packet). Invariant: no exception; a refused buffer
 * is counted under exactly one {@link Segmenter.Drop} reason; a GSO buffer that is accepted yields IP packets of
 * the same version, each no longer than the headers plus gso_size, each with valid checksums, whose payloads
 * concatenate to the super-packet's payload. Inputs live in {@code SegmenterFuzzTestInputs/segment}.
 */
class SegmenterFuzzTest {
    @FuzzTest
    void segment(byte[] data) {
        Segmenter s = new Segmenter();
        boolean loaded = assertDoesNotThrow(() -> s.load(data, 0, data.length));
        if (!loaded) {
            assertEquals(1, s.dropped(), "a refused buffer is counted once");
            return;
        }
        VirtioNetHdr h = new VirtioNetHdr();
        assertTrue(h.read(data, 0, data.length));
        byte[] out = new byte[1 << 17];
        ByteArrayOutputStream payloads = new ByteArrayOutputStream();
        int version = (data[VirtioNetHdr.LENGTH] & 0xff) >>> 4;
        int packets = 0;
        while (s.hasNext()) {
            int n = assertDoesNotThrow(() -> s.next(out, 0));
            if (n <= 0) break;  // dropped midway (counted): nothing more comes out of this buffer
            packets++;
            byte[] p = Arrays.copyOf(out, n);
            assertEquals(version, (p[0] & 0xff) >>> 4, "the IP version is kept");
            if (h.gsoType != VirtioNetHdr.GSO_NONE) {
                int headers = headers(p);
                assertTrue(n - headers <= h.gsoSize, "a segment carries at most gso_size bytes");
                assertTrue(Packets.checksumsValid(p), "every segment has valid checksums");
                payloads.write(p, headers, n - headers);
            }
        }
        if (h.gsoType != VirtioNetHdr.GSO_NONE && s.dropped() == 0) {
            byte[] ip = Arrays.copyOfRange(data, VirtioNetHdr.LENGTH, data.length);
            int headers = headers(ip);
            assertArrayEquals(Arrays.copyOfRange(ip, headers, ip.length), payloads.toByteArray(),
                "the segments' payloads are the super-packet's, in order");
            assertTrue(packets > 0);
        }
    }

    /** The IP plus TCP or UDP header length of a packet the segmenter accepted or produced. */
    private static int headers(byte[] p) {
        boolean v6 = (p[0] & 0xf0) == 0x60;
        int ip = v6 ? 40 : (p[0] & 0x0f) * 4;
        int proto = v6 ? p[6] : p[9];
        return ip + (proto == 6 ? ((p[ip + 12] & 0xff) >>> 4) * 4 : 8);
    }

    /** Super-packets as the kernel hands them to a TUN with TSO/USO, and a plain packet that needs its checksum. */
    static Map<String, byte[]> seeds() {
        Map<String, byte[]> s = new LinkedHashMap<>();
        s.put("seed-tso4", Packets.tcp4().payload(4000).superPacket(1400));
        s.put("seed-tso6", Packets.tcp6().payload(3000).superPacket(1220));
        s.put("seed-uso4", Packets.udp4().payload(2900).superPacket(1000));
        s.put("seed-uso6", Packets.udp6().payload(500).superPacket(200));
        s.put("seed-tso4-one-segment", Packets.tcp4().payload(300).superPacket(1400));
        byte[] plain = Packets.tcp4().payload(100).build();
        byte[] none = new byte[VirtioNetHdr.LENGTH + plain.length];
        System.arraycopy(plain, 0, none, VirtioNetHdr.LENGTH, plain.length);
        s.put("seed-plain", none);
        return s;
    }
}
