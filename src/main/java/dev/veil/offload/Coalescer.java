package dev.veil.offload;

import static dev.veil.offload.Ip.*;

import dev.veil.buffer.PacketBatch;
import java.util.Arrays;

/**
 * GRO in Java: plans how a batch of IP packets about to be written to a TUN opened with IFF_VNET_HDR is merged into
 * fewer, larger packets, and writes each result with its virtio_net_hdr. Consecutive TCP segments of one flow (same
 * addresses, ports and acknowledgement number) merge when their sequence numbers are contiguous, they carry only
 * ACK (PSH allowed on the last), have a payload, equal TCP options and header length, all but the last have the
 * same payload size and the last is no larger, the IPv4 TOS, DF and TTL (or IPv6 traffic class and hop limit) are
 * equal, and the result stays within 64 KB. It follows wireguard-go's tcpGRO, including a segment that fits in
 * front of a run. UDP datagrams of one flow merge likewise (at most {@value #MAX_UDP_SEGMENTS}) when
 * {@code udp} is on, that is when the TUN accepted USO; only the flow's newest run is extended, so datagrams stay
 * in order. A segment joins a run only when its TCP or UDP checksum (and IPv4 header checksum) is valid; the first
 * of a run is checked when the second arrives. A merged packet gets GSO_TCPV4, GSO_TCPV6 or GSO_UDP_L4 with
 * NEEDS_CSUM, csum_start at the transport header and the pseudo-header sum in the checksum field, as the kernel
 * expects; any other packet goes out unchanged behind an all-zero header.
 *
 * <p>{@link #plan} reads the batch and never changes it; {@link #emit} writes output k into a caller's buffer.
 * The planning arrays grow once to the largest batch seen; nothing else is allocated. Not thread-safe.
 */
public final class Coalescer {
    /** The most datagrams merged into one UDP_L4 packet: the kernel's UDP_MAX_SEGMENTS was 64 before 6.x. */
    public static final int MAX_UDP_SEGMENTS = 64;
    /** The longest output: a vnet header and a 64 KB IP packet. */
    public static final int MAX_OUTPUT = VirtioNetHdr.LENGTH + MAX_PACKET;

    private static final int NONE = 0, TCP4 = 1, TCP6 = 2, UDP4 = 3, UDP6 = 4;

    private PacketBatch batch;
    private boolean udp;
    // Per packet of the batch.
    private int[] kind = new int[0], ipHeaderLen, transportLen, payloadLen, seq, nextMember;
    // Per output (a run of one or more packets), in order of their first packet.
    private int[] head, tail, members, gso, total, firstSeq, origin;
    private boolean[] psh, open, headChecked, shortLast;
    private int outputs;
    /** The packet being planned failed its checksum, so its output takes no others. */
    private boolean packetBad;
    private long merged;
    private long badChecksums;

    /** Plans the outputs for the batch's packets; with {@code udp}, UDP datagrams are merged too (USO). */
    public void plan(PacketBatch batch, boolean udp) {
        this.batch = batch;
        this.udp = udp;
        int n = batch.count();
        if (kind.length < n) grow(Math.max(n, batch.capacity()));
        outputs = 0;
        for (int i = 0; i < n; i++) {
            nextMember[i] = -1;
            packetBad = false;
            kind[i] = classify(i);
            boolean joined = switch (kind[i]) {
                case TCP4, TCP6 -> joinTcp(i);
                case UDP4, UDP6 -> joinUdp(i);
                default -> false;
            };
            if (!joined) startOutput(i, kind[i] != NONE && !packetBad);
        }
    }

    private void grow(int n) {
        kind = new int[n];
        ipHeaderLen = new int[n];
        transportLen = new int[n];
        payloadLen = new int[n];
        seq = new int[n];
        nextMember = new int[n];
        head = new int[n];
        tail = new int[n];
        members = new int[n];
        gso = new int[n];
        total = new int[n];
        firstSeq = new int[n];
        origin = new int[n];
        psh = new boolean[n];
        open = new boolean[n];
        headChecked = new boolean[n];
        shortLast = new boolean[n];
    }

    /** The packet's kind when it may merge (NONE otherwise), after filling its header lengths. */
    private int classify(int i) {
        byte[] p = batch.buffer(i);
        int len = batch.length(i);
        if (len < V4_HEADER + UDP_HEADER || len > MAX_PACKET) return NONE;
        int version = (p[0] & 0xff) >>> 4;
        int protocol;
        boolean v6 = version == 6;
        if (version == 4) {
            // IPv4 with options does not merge; nor do fragments or packets whose lengths or header checksum are off.
            if ((p[0] & 0x0f) != 5 || Checksum.u16(p, V4_TOTAL_LENGTH) != len) return NONE;
            if ((Checksum.u16(p, V4_FLAGS) & V4_MF_AND_OFFSET) != 0) return NONE;
            if (Checksum.fold(Checksum.add(0, p, 0, V4_HEADER)) != 0xffff) return NONE;
            ipHeaderLen[i] = V4_HEADER;
            protocol = p[V4_PROTOCOL] & 0xff;
        } else if (v6) {
            if (len < V6_HEADER + UDP_HEADER || Checksum.u16(p, V6_PAYLOAD_LENGTH) + V6_HEADER != len) return NONE;
            ipHeaderLen[i] = V6_HEADER;
            protocol = p[V6_NEXT_HEADER] & 0xff;
        } else {
            return NONE;
        }
        int t = ipHeaderLen[i];
        if (protocol == PROTO_TCP) {
            if (len < t + TCP_HEADER) return NONE;
            int th = ((p[t + TCP_DATA_OFFSET] & 0xff) >>> 4) * 4;
            if (th < TCP_HEADER || len < t + th) return NONE;
            int flags = p[t + TCP_FLAGS] & 0xff;
            if (flags != TCP_ACK_FLAG && flags != (TCP_ACK_FLAG | TCP_PSH)) return NONE;
            transportLen[i] = th;
            payloadLen[i] = len - t - th;
            if (payloadLen[i] == 0) return NONE;
            seq[i] = Checksum.u32(p, t + TCP_SEQ);
            return v6 ? TCP6 : TCP4;
        }
        if (protocol == PROTO_UDP && udp) {
            transportLen[i] = UDP_HEADER;
            payloadLen[i] = len - t - UDP_HEADER;
            if (payloadLen[i] == 0 || Checksum.u16(p, t + UDP_LENGTH) != len - t) return NONE;
            return v6 ? UDP6 : UDP4;
        }
        return NONE;
    }

    private void startOutput(int i, boolean mergeable) {
        int o = outputs++;
        head[o] = i;
        origin[o] = i;
        tail[o] = i;
        members[o] = 1;
        gso[o] = payloadLen[i];
        total[o] = batch.length(i);
        firstSeq[o] = seq[i];
        psh[o] = (kind[i] == TCP4 || kind[i] == TCP6) && (batch.buffer(i)[ipHeaderLen[i] + TCP_FLAGS] & TCP_PSH) != 0;
        open[o] = mergeable;
        headChecked[o] = false;
        shortLast[o] = false;
    }

    /** Same flow: kind, addresses, ports and (TCP) acknowledgement number. */
    private boolean sameFlow(int a, int b) {
        if (kind[a] != kind[b]) return false;
        byte[] p = batch.buffer(a), q = batch.buffer(b);
        boolean v6 = ipHeaderLen[a] == V6_HEADER;
        int addr = v6 ? V6_SRC : V4_SRC, addrEnd = addr + (v6 ? 32 : 8);
        if (!Arrays.equals(p, addr, addrEnd, q, addr, addrEnd)) return false;
        int t = ipHeaderLen[a];
        if (!Arrays.equals(p, t, t + 4, q, t, t + 4)) return false;
        boolean tcp = kind[a] == TCP4 || kind[a] == TCP6;
        return !tcp || Arrays.equals(p, t + TCP_ACK, t + TCP_ACK + 4, q, t + TCP_ACK, t + TCP_ACK + 4);
    }

    /** The IP header fields that must match for two packets to merge (what the kernel's GRO compares). */
    private boolean ipHeadersMatch(int a, int b) {
        byte[] p = batch.buffer(a), q = batch.buffer(b);
        if (ipHeaderLen[a] == V6_HEADER) {
            // version and traffic class (the first 12 bits), hop limit
            return p[0] == q[0] && (p[1] & 0xf0) == (q[1] & 0xf0) && p[V6_HOP_LIMIT] == q[V6_HOP_LIMIT];
        }
        // TOS, the reserved and DF bits, TTL
        return p[1] == q[1] && (p[V4_FLAGS] & 0xe0) == (q[V4_FLAGS] & 0xe0) && p[V4_TTL] == q[V4_TTL];
    }

    private boolean joinTcp(int i) {
        int len = payloadLen[i];
        boolean pktPsh = (batch.buffer(i)[ipHeaderLen[i] + TCP_FLAGS] & TCP_PSH) != 0;
        for (int o = outputs - 1; o >= 0; o--) {
            int h = head[o];
            if (!open[o] || !sameFlow(h, i)) continue;
            if (transportLen[h] != transportLen[i] || !optionsMatch(h, i) || !ipHeadersMatch(h, i)) continue;
            if (total[o] + len > MAX_PACKET) continue;
            boolean append = seq[i] == firstSeq[o] + (total[o] - ipHeaderLen[h] - transportLen[h]);
            boolean prepend = !append && seq[i] + len == firstSeq[o];
            if (append) {
                if (psh[o] || shortLast[o] || len > gso[o]) continue;
            } else if (prepend) {
                if (pktPsh || len < gso[o] || (len > gso[o] && members[o] > 1)) continue;
            } else {
                continue;
            }
            if (!headChecked[o]) {
                if (!checksumValid(h)) {
                    open[o] = false;
                    continue;
                }
                headChecked[o] = true;
            }
            if (!checksumValid(i)) {
                packetBad = true;
                return false;
            }
            if (append) {
                nextMember[tail[o]] = i;
                tail[o] = i;
                if (len < gso[o]) shortLast[o] = true;
                if (pktPsh) psh[o] = true;
            } else {
                nextMember[i] = head[o];
                head[o] = i;
                firstSeq[o] = seq[i];
                if (len > gso[o]) {
                    shortLast[o] = true;
                    gso[o] = len;
                }
            }
            total[o] += len;
            members[o]++;
            merged++;
            return true;
        }
        return false;
    }

    private boolean optionsMatch(int a, int b) {
        int t = ipHeaderLen[a], th = transportLen[a];
        return th == TCP_HEADER
            || Arrays.equals(batch.buffer(a), t + TCP_HEADER, t + th, batch.buffer(b), t + TCP_HEADER, t + th);
    }

    private boolean joinUdp(int i) {
        int len = payloadLen[i];
        // Only the flow's newest output is a candidate, so datagrams never overtake each other.
        for (int o = outputs - 1; o >= 0; o--) {
            int h = head[o];
            if (kind[h] != kind[i] || !sameFlow(h, i)) continue;
            if (!open[o] || !ipHeadersMatch(h, i) || shortLast[o] || len > gso[o]) return false;
            if (members[o] >= MAX_UDP_SEGMENTS || total[o] + len > MAX_PACKET) return false;
            if (!headChecked[o]) {
                if (!checksumValid(h)) {
                    open[o] = false;
                    return false;
                }
                headChecked[o] = true;
            }
            if (!checksumValid(i)) {
                packetBad = true;
                return false;
            }
            nextMember[tail[o]] = i;
            tail[o] = i;
            if (len < gso[o]) shortLast[o] = true;
            total[o] += len;
            members[o]++;
            merged++;
            return true;
        }
        return false;
    }

    /** The TCP or UDP checksum of packet i verifies (and so does the IPv4 header's, checked by classify). */
    private boolean checksumValid(int i) {
        byte[] p = batch.buffer(i);
        int t = ipHeaderLen[i], len = batch.length(i) - t;
        boolean v6 = t == V6_HEADER;
        boolean tcp = kind[i] == TCP4 || kind[i] == TCP6;
        long sum = Checksum.pseudoHeader(p, v6 ? V6_SRC : V4_SRC, v6 ? 16 : 4, tcp ? PROTO_TCP : PROTO_UDP, len);
        if (Checksum.fold(Checksum.add(sum, p, t, len)) == 0xffff) return true;
        badChecksums++;
        return false;
    }

    /** The number of outputs the last {@link #plan} made. */
    public int outputs() {
        return outputs;
    }

    /** The number of batch packets in output k (1 when it goes out unchanged). */
    public int members(int k) {
        return members[k];
    }

    /** The index in the batch of the packet that started output k (its first packet in batch order). */
    public int origin(int k) {
        return origin[k];
    }

    /** The length of output k, vnet header included. */
    public int outputLength(int k) {
        return VirtioNetHdr.LENGTH + total[k];
    }

    /** Writes output k (vnet header, then the IP packet) to out[off, ...) and returns its length. */
    public int emit(int k, byte[] out, int off) {
        int h = head[k];
        byte[] p = batch.buffer(h);
        int ip = off + VirtioNetHdr.LENGTH;
        if (members[k] == 1) {
            VirtioNetHdr.writeNone(out, off);
            System.arraycopy(p, 0, out, ip, batch.length(h));
            return VirtioNetHdr.LENGTH + batch.length(h);
        }
        int t = ipHeaderLen[h], headers = t + transportLen[h];
        System.arraycopy(p, 0, out, ip, headers);
        int at = ip + headers;
        for (int m = h; m >= 0; m = nextMember[m]) {
            System.arraycopy(batch.buffer(m), headers, out, at, payloadLen[m]);
            at += payloadLen[m];
        }
        int len = total[k];
        boolean v6 = t == V6_HEADER;
        boolean tcp = kind[h] == TCP4 || kind[h] == TCP6;
        if (v6) {
            Checksum.put16(out, ip + V6_PAYLOAD_LENGTH, len - V6_HEADER);
        } else {
            Checksum.put16(out, ip + V4_TOTAL_LENGTH, len);
            Ip.setV4Checksum(out, ip, V4_HEADER);
        }
        int checkAt;
        if (tcp) {
            if (psh[k]) out[ip + t + TCP_FLAGS] |= TCP_PSH;
            checkAt = t + TCP_CHECKSUM;
        } else {
            Checksum.put16(out, ip + t + UDP_LENGTH, len - t);
            checkAt = t + UDP_CHECKSUM;
        }
        int protocol = tcp ? PROTO_TCP : PROTO_UDP;
        long pseudo = Checksum.pseudoHeader(out, ip + (v6 ? V6_SRC : V4_SRC), v6 ? 16 : 4, protocol, len - t);
        Checksum.put16(out, ip + checkAt, Checksum.fold(pseudo));
        int type = tcp ? (v6 ? VirtioNetHdr.GSO_TCPV6 : VirtioNetHdr.GSO_TCPV4) : VirtioNetHdr.GSO_UDP_L4;
        VirtioNetHdr.write(out, off, VirtioNetHdr.F_NEEDS_CSUM, type, headers, gso[k], t, checkAt - t);
        return VirtioNetHdr.LENGTH + len;
    }

    /** Packets merged into an earlier one so far. */
    public long merged() {
        return merged;
    }

    /** Packets that could have merged but had a bad checksum, so far. */
    public long badChecksums() {
        return badChecksums;
    }
}
