package dev.veil.offload;

import static dev.veil.offload.Ip.*;

import dev.veil.buffer.PacketBatch;

/**
 * Runs segmentation and coalescing hot before real traffic arrives: TCP super-packets over IPv4 and IPv6, as a TUN
 * with TSO hands them over (vnet header, partial checksum, timestamps option), are cut into wire-sized segments and
 * merged back, so that the JIT has compiled {@link Segmenter}, {@link Coalescer} and {@link Checksum} when the first
 * bulk transfer starts. Touches only its own buffers. Stateless; thread-safe.
 */
public final class OffloadWarmUp {
    private OffloadWarmUp() {}

    /** gso_size for an MTU of 1420 with TCP timestamps, as in a tunnel. */
    public static final int GSO_SIZE = 1368;
    /** The most segments of that size a 64 KB super-packet holds, and what is left of a 64-packet batch. */
    private static final int FULL = 47, REST = 16, BATCH = FULL + REST + 1;
    /** The shorter last segment of the second super-packet, which ends with PSH, as a write's end does. */
    private static final int SHORT_LAST = 700;
    /** The TCP payload of one round of {@link #bulkRound}. */
    private static final int ROUND_PAYLOAD = (FULL + REST) * GSO_SIZE + SHORT_LAST;
    private static final int TCP_WITH_TIMESTAMPS = TCP_HEADER + 12;

    /**
     * Segments and re-merges, {@code rounds} times for IPv4 and for IPv6, two consecutive super-packets of one flow
     * that fill a batch of 64 as bulk TCP does: 47 full segments, then 16 and a shorter last one with PSH. The
     * coalescer merges the first 47, must stop at the 64 KB limit, and merges the other 17. Returns the bytes of IP
     * packet that came back out of the coalescer, for tests.
     */
    public static long run(int rounds, int bufferSize) {
        Segmenter segmenter = new Segmenter();
        Coalescer coalescer = new Coalescer();
        PacketBatch batch = new PacketBatch(BATCH, bufferSize);
        byte[] out = new byte[Coalescer.MAX_OUTPUT];
        byte[][][] flows = {bulkRound(false, false), bulkRound(true, false)};
        long bytes = 0;
        for (int r = 0; r < rounds; r++) {
            for (byte[][] flow : flows) {
                batch.clear();
                for (byte[] p : flow) {
                    if (segmenter.load(p, 0, p.length)) segmenter.drainInto(batch);
                }
                coalescer.plan(batch, true);
                for (int k = 0; k < coalescer.outputs(); k++) bytes += coalescer.emit(k, out, 0) - VirtioNetHdr.LENGTH;
            }
        }
        return bytes;
    }

    /** The length of the IP packets of one round's two super-packets (IPv4 or IPv6), for tests. */
    static int ipLength(boolean v6) {
        int n = 0;
        for (byte[] p : bulkRound(v6, false)) n += p.length - VirtioNetHdr.LENGTH;
        return n;
    }

    /**
     * One round of a bulk transfer as a TSO sender's kernel hands it to a TUN: two consecutive super-packets, 47 full
     * segments, then 16 and a shorter last one with PSH (what fills a batch of 64). From 10.0.0.1 (fd00::1), or back
     * with {@code reverse}, as in {@link #superPacket}.
     */
    public static byte[][] bulkRound(boolean v6, boolean reverse) {
        return new byte[][] {
            superPacket(v6, reverse, 1, FULL * GSO_SIZE, false),
            superPacket(v6, reverse, 1 + FULL * GSO_SIZE, REST * GSO_SIZE + SHORT_LAST, true)};
    }

    /** The pure ACK, from the receiving end, of all that {@code bulkRound(v6, reverse)} carried. */
    public static byte[] ackOfBulkRound(boolean v6, boolean reverse) {
        return ack(v6, !reverse, 1 + ROUND_PAYLOAD);
    }

    /**
     * A TSO super-packet as the kernel writes it to a TUN: vnet header, IP, TCP with timestamps, {@code payload}
     * bytes cut at {@value #GSO_SIZE}. The flow goes from 10.0.0.1 (fd00::1) port 40000 to 10.0.0.2 (fd00::2) port
     * 5201, or back with {@code reverse}.
     */
    public static byte[] superPacket(boolean v6, boolean reverse, int seq, int payload, boolean push) {
        return tcp(v6, reverse, seq, 1, payload, push);
    }

    /**
     * A pure ACK as the kernel writes it to a TUN: a vnet header asking for the checksum (no segmentation), IP, TCP
     * with timestamps, no payload; it travels from 10.0.0.1 port 40000 (acknowledging the flow of
     * {@code superPacket(v6, true, ...)}), or back with {@code reverse}.
     */
    public static byte[] ack(boolean v6, boolean reverse, int ack) {
        return tcp(v6, reverse, 1, ack, 0, false);
    }

    private static byte[] tcp(boolean v6, boolean reverse, int seq, int ack, int payload, boolean push) {
        int ip = v6 ? V6_HEADER : V4_HEADER, headers = ip + TCP_WITH_TIMESTAMPS;
        int length = headers + payload;
        byte[] b = new byte[VirtioNetHdr.LENGTH + length];
        int o = VirtioNetHdr.LENGTH;
        if (v6) {
            b[o] = 0x60;
            Checksum.put16(b, o + V6_PAYLOAD_LENGTH, length - V6_HEADER);
            b[o + V6_NEXT_HEADER] = PROTO_TCP;
            b[o + V6_HOP_LIMIT] = 64;
            b[o + V6_SRC] = (byte) 0xfd;
            b[o + V6_SRC + 15] = (byte) (reverse ? 2 : 1);
            b[o + V6_SRC + 16] = (byte) 0xfd;
            b[o + V6_SRC + 31] = (byte) (reverse ? 1 : 2);
        } else {
            b[o] = 0x45;
            Checksum.put16(b, o + V4_TOTAL_LENGTH, length);
            b[o + V4_FLAGS] = 0x40;  // DF
            b[o + V4_TTL] = 64;
            b[o + V4_PROTOCOL] = PROTO_TCP;
            Checksum.put32(b, o + V4_SRC, reverse ? 0x0a000002 : 0x0a000001);
            Checksum.put32(b, o + V4_SRC + 4, reverse ? 0x0a000001 : 0x0a000002);
            Ip.setV4Checksum(b, o, V4_HEADER);
        }
        int t = o + ip;
        Checksum.put16(b, t, reverse ? 5201 : 40000);
        Checksum.put16(b, t + 2, reverse ? 40000 : 5201);
        Checksum.put32(b, t + TCP_SEQ, seq);
        Checksum.put32(b, t + TCP_ACK, ack);
        b[t + TCP_DATA_OFFSET] = (byte) (TCP_WITH_TIMESTAMPS / 4 << 4);
        b[t + TCP_FLAGS] = (byte) (TCP_ACK_FLAG | (push ? TCP_PSH : 0));
        Checksum.put16(b, t + 14, 512);
        byte[] timestamps = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
        System.arraycopy(timestamps, 0, b, t + TCP_HEADER, timestamps.length);
        for (int i = o + headers; i < b.length; i++) b[i] = (byte) (i * 7);
        // The partial checksum the kernel leaves for NEEDS_CSUM: the pseudo-header's sum, not complemented.
        int addrOff = v6 ? o + V6_SRC : o + V4_SRC, addrLen = v6 ? 16 : 4;
        Checksum.put16(b, t + TCP_CHECKSUM, Checksum.fold(Checksum.pseudoHeader(b, addrOff, addrLen, PROTO_TCP, length - ip)));
        int gso = payload == 0 ? VirtioNetHdr.GSO_NONE : v6 ? VirtioNetHdr.GSO_TCPV6 : VirtioNetHdr.GSO_TCPV4;
        VirtioNetHdr.write(b, 0, VirtioNetHdr.F_NEEDS_CSUM, gso, headers, payload == 0 ? 0 : GSO_SIZE, ip, TCP_CHECKSUM);
        return b;
    }
}
