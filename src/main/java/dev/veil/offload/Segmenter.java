package dev.veil.offload;

import static dev.veil.offload.Ip.*;

import dev.veil.buffer.PacketBatch;

/**
 * TSO and USO in Java: turns one buffer read from a TUN opened with IFF_VNET_HDR (the virtio_net_hdr, then an IP
 * packet that may be a 64 KB super-packet) into the wire-sized IP packets the kernel would have sent, as its
 * tcp_gso_segment and __udp_gso_segment do. Each TCP segment gets its IPv4 total length, an IPv4 id incremented
 * from the first, a fresh header checksum (or the IPv6 payload length), its sequence number, FIN and PSH only on
 * the last segment, CWR only on the first, and its full TCP checksum; each UDP datagram its UDP length and
 * checksum. A packet with GSO_NONE and NEEDS_CSUM gets its partial checksum completed. Malformed input is dropped
 * and counted by {@link Drop}, never thrown. So is a GSO packet the kernel would not build for a TUN with these
 * offloads: IPv6 with extension headers, csum_start anywhere but the transport header, UFO.
 *
 * <p>{@link #load} keeps a reference to the caller's buffer, which must not change until {@link #hasNext} is
 * false; {@link #next} then writes one packet at a time, so a super-packet with more segments than a batch holds
 * spreads over several batches. Nothing is allocated per packet. Not thread-safe: one reader uses an instance.
 */
public final class Segmenter {
    /** Why a buffer was dropped. */
    public enum Drop {
        /** Shorter than a vnet header plus the smallest IP header, or a header field out of its set. */
        BAD_VNET_HEADER,
        /** Neither IPv4 nor IPv6, or the IP version does not match the GSO type. */
        NOT_IP,
        /** The IP lengths disagree with the buffer, or headers run past the packet. */
        BAD_LENGTH,
        /** csum_start or csum_offset do not point at the transport checksum inside the packet. */
        BAD_CHECKSUM_OFFSET,
        /** A GSO type with gso_size 0, a protocol that does not match it, a fragment, or no payload. */
        BAD_GSO,
        /** A segment would not fit the caller's buffer. */
        TOO_BIG
    }

    private final VirtioNetHdr hdr = new VirtioNetHdr();
    private final long[] drops = new long[Drop.values().length];
    private long superPackets;
    private long segments;

    // The loaded packet: in[base, end) is the IP packet.
    private byte[] in;
    private int base, end;
    /** GSO_NONE: one packet to copy out as it is. */
    private boolean single;
    private boolean tcp, v6;
    private int ipHeader, headers, gsoSize;
    private int firstSeq, firstId;
    private long addressSum;
    private int nextData;
    private int index;
    private boolean pending;

    /**
     * Takes one buffer read from the TUN, buf[off, off+len) (vnet header first). True when it holds packets to
     * take with {@link #next}; false when it was dropped (and counted). Any packet still pending is discarded.
     */
    public boolean load(byte[] buf, int off, int len) {
        pending = false;
        if (!hdr.read(buf, off, len) || len < VirtioNetHdr.LENGTH + 1) return drop(Drop.BAD_VNET_HEADER);
        in = buf;
        base = off + VirtioNetHdr.LENGTH;
        end = off + len;
        int ipLen = end - base;
        int version = (buf[base] & 0xff) >>> 4;
        if (version != 4 && version != 6) return drop(Drop.NOT_IP);
        if (hdr.gsoType == VirtioNetHdr.GSO_NONE) return loadSingle(ipLen);
        v6 = version == 6;
        tcp = hdr.gsoType != VirtioNetHdr.GSO_UDP_L4;
        if (tcp && hdr.gsoType != (v6 ? VirtioNetHdr.GSO_TCPV6 : VirtioNetHdr.GSO_TCPV4)) return drop(Drop.NOT_IP);
        if (!tcp && hdr.ecn) return drop(Drop.BAD_GSO);
        if (hdr.gsoSize == 0) return drop(Drop.BAD_GSO);
        if (hdr.hdrLen > ipLen) return drop(Drop.BAD_LENGTH);
        int protocol;
        if (v6) {
            if (ipLen < V6_HEADER || Checksum.u16(buf, base + V6_PAYLOAD_LENGTH) + V6_HEADER != ipLen) {
                return drop(Drop.BAD_LENGTH);
            }
            ipHeader = V6_HEADER;
            protocol = buf[base + V6_NEXT_HEADER] & 0xff;
            addressSum = Checksum.add(0, buf, base + V6_SRC, 32);
        } else {
            ipHeader = (buf[base] & 0x0f) * 4;
            if (ipHeader < V4_HEADER || ipLen < ipHeader || Checksum.u16(buf, base + V4_TOTAL_LENGTH) != ipLen) {
                return drop(Drop.BAD_LENGTH);
            }
            if ((Checksum.u16(buf, base + V4_FLAGS) & V4_MF_AND_OFFSET) != 0) return drop(Drop.BAD_GSO);
            protocol = buf[base + V4_PROTOCOL] & 0xff;
            addressSum = Checksum.add(0, buf, base + V4_SRC, 8);
            firstId = Checksum.u16(buf, base + V4_ID);
        }
        if (protocol != (tcp ? PROTO_TCP : PROTO_UDP)) return drop(Drop.BAD_GSO);
        if (hdr.csumStart != ipHeader || hdr.csumOffset != (tcp ? TCP_CHECKSUM : UDP_CHECKSUM)) {
            return drop(Drop.BAD_CHECKSUM_OFFSET);
        }
        // hdr_len is not trusted (on the forwarding path it can cover payload): the headers are parsed instead.
        int transport;
        if (tcp) {
            if (ipLen < ipHeader + TCP_HEADER) return drop(Drop.BAD_LENGTH);
            transport = ((buf[base + ipHeader + TCP_DATA_OFFSET] & 0xff) >>> 4) * 4;
            if (transport < TCP_HEADER || ipLen < ipHeader + transport) return drop(Drop.BAD_LENGTH);
            firstSeq = Checksum.u32(buf, base + ipHeader + TCP_SEQ);
        } else {
            transport = UDP_HEADER;
            if (ipLen < ipHeader + transport) return drop(Drop.BAD_LENGTH);
        }
        headers = ipHeader + transport;
        if (ipLen == headers) return drop(Drop.BAD_GSO);
        gsoSize = hdr.gsoSize;
        single = false;
        nextData = base + headers;
        index = 0;
        pending = true;
        superPackets++;
        return true;
    }

    /** GSO_NONE: completes a partial checksum in place when asked to; the packet goes out as it is. */
    private boolean loadSingle(int ipLen) {
        if ((hdr.flags & VirtioNetHdr.F_NEEDS_CSUM) != 0) {
            int at = hdr.csumStart + hdr.csumOffset;
            if (hdr.csumStart >= ipLen || at + 2 > ipLen) return drop(Drop.BAD_CHECKSUM_OFFSET);
            // The field holds the pseudo-header sum; the sum from csum_start to the end includes it.
            long sum = Checksum.add(0, in, base + hdr.csumStart, ipLen - hdr.csumStart);
            int check = Checksum.finish(sum);
            Checksum.put16(in, base + at, check == 0 ? 0xffff : check);
        }
        single = true;
        pending = true;
        return true;
    }

    private boolean drop(Drop why) {
        drops[why.ordinal()]++;
        pending = false;
        return false;
    }

    /** True while packets of the loaded buffer remain. */
    public boolean hasNext() {
        return pending;
    }

    /** The length of the packet {@link #next} writes next (0 when none is pending). */
    public int nextLength() {
        if (!pending) return 0;
        if (single) return end - base;
        return headers + Math.min(gsoSize, end - nextData);
    }

    /** Writes the next packet to out[off, ...) and returns its length; the caller checks {@link #nextLength} fits. */
    public int next(byte[] out, int off) {
        if (single) {
            int len = end - base;
            System.arraycopy(in, base, out, off, len);
            pending = false;
            segments++;
            return len;
        }
        int payload = Math.min(gsoSize, end - nextData);
        boolean last = nextData + payload == end;
        int len = headers + payload;
        System.arraycopy(in, base, out, off, headers);
        System.arraycopy(in, nextData, out, off + headers, payload);
        int t = off + ipHeader;
        if (v6) {
            Checksum.put16(out, off + V6_PAYLOAD_LENGTH, len - V6_HEADER);
        } else {
            Checksum.put16(out, off + V4_TOTAL_LENGTH, len);
            Checksum.put16(out, off + V4_ID, firstId + index);
            Ip.setV4Checksum(out, off, ipHeader);
        }
        int transportLen = len - ipHeader;
        int checkAt;
        if (tcp) {
            Checksum.put32(out, t + TCP_SEQ, firstSeq + index * gsoSize);
            int flags = out[t + TCP_FLAGS] & 0xff;
            if (!last) flags &= ~(TCP_FIN | TCP_PSH);
            if (index > 0) flags &= ~TCP_CWR;
            out[t + TCP_FLAGS] = (byte) flags;
            checkAt = t + TCP_CHECKSUM;
        } else {
            Checksum.put16(out, t + UDP_LENGTH, transportLen);
            checkAt = t + UDP_CHECKSUM;
        }
        out[checkAt] = 0;
        out[checkAt + 1] = 0;
        long sum = addressSum + (tcp ? PROTO_TCP : PROTO_UDP) + transportLen;
        int check = Checksum.finish(Checksum.add(sum, out, t, transportLen));
        // A UDP checksum that comes out 0 is sent as 0xffff (0 means none); for TCP both mean the same.
        Checksum.put16(out, checkAt, check == 0 && !tcp ? 0xffff : check);
        nextData += payload;
        index++;
        segments++;
        if (last) pending = false;
        return len;
    }

    /**
     * Appends pending packets to the batch until it is full or none remain; returns how many were added. A packet
     * longer than the batch's buffers drops the rest of the loaded buffer (counted as {@link Drop#TOO_BIG}).
     */
    public int drainInto(PacketBatch batch) {
        int added = 0;
        while (pending && !batch.isFull()) {
            if (nextLength() > batch.bufferSize()) {
                drop(Drop.TOO_BIG);
                break;
            }
            int i = batch.count();
            int len = next(batch.buffer(i), 0);
            batch.set(i, len, null);
            batch.setCount(i + 1);
            added++;
        }
        return added;
    }

    /** Buffers dropped for the given reason so far. */
    public long dropped(Drop why) {
        return drops[why.ordinal()];
    }

    /** Buffers dropped for any reason so far. */
    public long dropped() {
        long n = 0;
        for (long d : drops) n += d;
        return n;
    }

    /** GSO super-packets loaded so far (GSO_NONE packets not counted). */
    public long superPackets() {
        return superPackets;
    }

    /** Packets written by {@link #next} so far. */
    public long packets() {
        return segments;
    }
}
