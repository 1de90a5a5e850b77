package dev.veil.offload;

import static org.junit.jupiter.api.Assertions.*;

import dev.veil.buffer.PacketBatch;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Hostile input for segmentation and coalescing: random bytes, valid super-packets behind random or mutated vnet
 * headers, and batches mixing valid segments, mutated ones and random bytes. Nothing throws; no packet comes out
 * longer than its input's IP packet or a segment allows; what a GSO type produces has valid checksums; coalescing
 * accounts for every packet and what it merged splits back into as many valid packets.
 */
class OffloadProperties {
    private static final PacketBatch OUT = new PacketBatch(64, 65536);
    private static final PacketBatch BACK = new PacketBatch(128, 4096);
    private static final byte[] EMITTED = new byte[Coalescer.MAX_OUTPUT];

    private static void checkSegments(byte[] in) {
        Segmenter seg = new Segmenter();
        boolean gso = in.length >= 2 && (in[1] & 0x7f) != 0;
        if (!seg.load(in, 0, in.length)) {
            assertFalse(seg.hasNext());
            assertEquals(1, seg.dropped());
            return;
        }
        int ipLen = in.length - VirtioNetHdr.LENGTH;
        int gsoSize = (in[4] & 0xff) | (in[5] & 0xff) << 8;
        long produced = 0;
        while (seg.hasNext()) {
            OUT.clear();
            if (seg.drainInto(OUT) == 0) break;
            for (int i = 0; i < OUT.count(); i++) {
                int len = OUT.length(i);
                assertTrue(len >= 1 && len <= ipLen, "a packet no longer than the input");
                produced++;
                if (gso) {
                    byte[] p = Arrays.copyOf(OUT.buffer(i), len);
                    boolean v6 = (p[0] & 0xf0) == 0x60;
                    int t = v6 ? 40 : (p[0] & 0x0f) * 4;
                    boolean tcp = p[v6 ? 6 : 9] == 6;
                    int headerLen = t + (tcp ? ((p[t + 12] & 0xff) >>> 4) * 4 : 8);
                    int payload = len - headerLen;
                    assertTrue(payload >= 1 && payload <= gsoSize, "a segment's payload is 1 to gso_size");
                    assertTrue(Packets.checksumsValid(p), "segments carry valid checksums");
                }
            }
        }
        assertTrue(produced <= Math.max(1, ipLen), "at least one payload byte per segment");
    }

    @Property
    void randomBytesNeverThrow(@ForAll @Size(max = 3000) byte[] bytes) {
        checkSegments(bytes);
    }

    @Property
    void randomVnetHeadersOnValidPackets(@ForAll("superPackets") byte[] sp, @ForAll @Size(10) byte[] header) {
        System.arraycopy(header, 0, sp, 0, 10);
        checkSegments(sp);
    }

    @Property
    void oneVnetFieldMutated(@ForAll("superPackets") byte[] sp, @ForAll @IntRange(max = 5) int field,
                             @ForAll @IntRange(max = 0xffff) int value) {
        if (field < 2) {
            sp[field] = (byte) value;
        } else {
            Packets.le16(sp, 2 * field - 2, value);
        }
        checkSegments(sp);
    }

    @Property
    void packetBytesMutated(@ForAll("superPackets") byte[] sp, @ForAll @IntRange(max = 100) int position,
                            @ForAll byte value, @ForAll boolean truncate) {
        int at = 10 + position % (sp.length - 10);
        sp[at] = value;
        checkSegments(truncate ? Arrays.copyOf(sp, at) : sp);
    }

    @Provide
    Arbitrary<byte[]> superPackets() {
        return Combinators.combine(Arbitraries.integers().between(0, 3), Arbitraries.integers().between(0, 5000),
            Arbitraries.integers().between(1, 2000)).as((kind, payload, gso) -> {
                Packets.Spec s = switch (kind) {
                    case 0 -> Packets.tcp4();
                    case 1 -> Packets.tcp6();
                    case 2 -> Packets.udp4();
                    default -> Packets.udp6();
                };
                s.payload = payload;
                return s.superPacket(gso);
            });
    }

    @Property
    void coalescingAccountsForEveryPacket(@ForAll("batches") List<byte[]> packets, @ForAll boolean udp) {
        PacketBatch batch = new PacketBatch(Math.max(1, packets.size()), 256);
        for (byte[] p : packets) batch.add(p, 0, p.length, null);
        Coalescer gro = new Coalescer();
        gro.plan(batch, udp);
        int members = 0;
        byte[] out = EMITTED;
        for (int k = 0; k < gro.outputs(); k++) {
            members += gro.members(k);
            int len = gro.emit(k, out, 0);
            assertEquals(gro.outputLength(k), len);
            assertTrue(len <= Coalescer.MAX_OUTPUT);
            if (gro.members(k) > 1) {
                Segmenter seg = new Segmenter();
                assertTrue(seg.load(out, 0, len), "a merged packet is one the segmenter takes");
                PacketBatch back = BACK;
                back.clear();
                seg.drainInto(back);
                assertEquals(gro.members(k), back.count());
                for (int i = 0; i < back.count(); i++) {
                    assertTrue(Packets.checksumsValid(Arrays.copyOf(back.buffer(i), back.length(i))));
                }
            } else {
                assertArrayEquals(new byte[10], Arrays.copyOf(out, 10));
            }
        }
        assertEquals(packets.size(), members, "every packet goes out exactly once");
    }

    @Provide
    Arbitrary<List<byte[]>> batches() {
        Arbitrary<byte[]> valid = Combinators.combine(Arbitraries.integers().between(0, 3),
            Arbitraries.integers().between(0, 5), Arbitraries.integers().between(0, 3),
            Arbitraries.of(100, 100, 100, 50, 0)).as((kind, step, flow, payload) -> {
                Packets.Spec s = switch (kind) {
                    case 0 -> Packets.tcp4();
                    case 1 -> Packets.tcp6();
                    case 2 -> Packets.udp4();
                    default -> Packets.udp6();
                };
                s.seq = 1 + 100 * step;
                s.srcPort = 1 + flow % 2;
                s.flags = flow == 3 ? Packets.ACK | Packets.PSH : Packets.ACK;
                s.payload = payload;
                return s.build();
            });
        Arbitrary<byte[]> mutated = Combinators.combine(valid, Arbitraries.integers().between(0, 200),
            Arbitraries.bytes()).as((p, at, v) -> {
                p[at % p.length] = v;
                return p;
            });
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(200);
        return Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(6, valid), net.jqwik.api.Tuple.of(2, mutated), net.jqwik.api.Tuple.of(1, random))
            .list().ofMaxSize(40);
    }
}
