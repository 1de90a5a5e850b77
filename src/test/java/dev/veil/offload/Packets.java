package dev.veil.offload;

import java.util.Arrays;

/**
 * Test packets built byte by byte, with a checksum routine of its own (a plain loop over 16-bit words, independent
 * of {@link Checksum}): single TCP and UDP packets over IPv4 and IPv6 with valid checksums, and the super-packets
 * the kernel hands to a TUN with TSO/USO: the first segment's headers, the IP length of the whole packet, a valid
 * IPv4 header checksum, the pseudo-header sum (not complemented) in the transport checksum field, and a
 * virtio_net_hdr with NEEDS_CSUM in front.
 */
final class Packets {
    private Packets() {}

    static final byte[] V4_A = {(byte) 192, 0, 2, 1}, V4_B = {(byte) 192, 0, 2, 2}, V4_C = {(byte) 192, 0, 2, 3};
    static final byte[] V6_A = v6(1), V6_B = v6(2), V6_C = v6(3);
    static final int ACK = 0x10, PSH = 0x08, FIN = 0x01, SYN = 0x02, CWR = 0x80, ECE = 0x40;

    static byte[] v6(int last) {
        byte[] a = new byte[16];
        a[0] = 0x20;
        a[1] = 0x01;
        a[2] = 0x0d;
        a[3] = (byte) 0xb8;
        a[15] = (byte) last;
        return a;
    }

    /** The independent checksum: the one's complement sum of the 16-bit words, folded after each addition. */
    static int sum(byte[] b, int off, int len, int initial) {
        int s = initial;
        for (int i = 0; i < len; i += 2) {
            int w = (b[off + i] & 0xff) << 8 | (i + 1 < len ? b[off + i + 1] & 0xff : 0);
            s += w;
            s = (s & 0xffff) + (s >>> 16);
        }
        return s;
    }

    static int pseudo(byte[] src, byte[] dst, int protocol, int len) {
        byte[] p = new byte[src.length * 2 + 4];
        System.arraycopy(src, 0, p, 0, src.length);
        System.arraycopy(dst, 0, p, src.length, dst.length);
        p[p.length - 3] = (byte) protocol;
        p[p.length - 2] = (byte) (len >>> 8);
        p[p.length - 1] = (byte) len;
        return sum(p, 0, p.length, 0);
    }

    static int u16(byte[] b, int i) {
        return (b[i] & 0xff) << 8 | (b[i + 1] & 0xff);
    }

    static int u32(byte[] b, int i) {
        return (b[i] & 0xff) << 24 | (b[i + 1] & 0xff) << 16 | (b[i + 2] & 0xff) << 8 | (b[i + 3] & 0xff);
    }

    static void put16(byte[] b, int i, int v) {
        b[i] = (byte) (v >>> 8);
        b[i + 1] = (byte) v;
    }

    static void put32(byte[] b, int i, int v) {
        put16(b, i, v >>> 16);
        put16(b, i + 2, v);
    }

    /** Fields of a packet to build; tests change them before calling {@link #build}. */
    static final class Spec {
        boolean v6;
        boolean tcp = true;
        byte[] src = V4_A, dst = V4_B;
        int srcPort = 1, dstPort = 1;
        int seq = 1, ack = 1, flags = ACK, window = 3000;
        byte[] options = new byte[0];
        int ttl = 64, tos = 0, id = 0, ipFlags = 0;
        int payload = 100;
        int payloadSeed = 0;

        Spec v6() {
            v6 = true;
            src = V6_A;
            dst = V6_B;
            return this;
        }

        Spec udp() {
            tcp = false;
            return this;
        }

        Spec to(byte[] d) {
            dst = d;
            return this;
        }

        Spec seq(int s) {
            seq = s;
            return this;
        }

        Spec flags(int f) {
            flags = f;
            return this;
        }

        Spec payload(int n) {
            payload = n;
            return this;
        }

        int ipHeader() {
            return v6 ? 40 : 20;
        }

        int transportHeader() {
            return tcp ? 20 + options.length : 8;
        }

        /** The payload byte at position i of the stream (seq-relative for TCP). */
        byte payloadByte(int i) {
            return (byte) (i * 31 + payloadSeed * 7 + (i >>> 8));
        }

        /** A complete packet with valid checksums. */
        byte[] build() {
            byte[] p = headers(payload);
            int t = ipHeader(), h = t + transportHeader();
            for (int i = 0; i < payload; i++) p[h + i] = payloadByte(i);
            int proto = tcp ? 6 : 17;
            int check = ~sum(p, t, p.length - t, pseudo(src, dst, proto, p.length - t)) & 0xffff;
            if (!tcp && check == 0) check = 0xffff;
            put16(p, t + (tcp ? 16 : 6), check);
            return p;
        }

        /**
         * What the kernel hands a TUN with TSO/USO for a {@code payload}-byte send with segment size gso: the vnet
         * header, then headers as for one packet with the whole length and the pseudo-header sum in the checksum.
         */
        byte[] superPacket(int gso) {
            byte[] ip = headers(payload);
            int t = ipHeader(), h = t + transportHeader();
            for (int i = 0; i < payload; i++) ip[h + i] = payloadByte(i);
            int proto = tcp ? 6 : 17;
            put16(ip, t + (tcp ? 16 : 6), pseudo(src, dst, proto, ip.length - t));
            byte[] out = new byte[10 + ip.length];
            int type = tcp ? (v6 ? 4 : 1) : 5;
            out[0] = 1;
            out[1] = (byte) type;
            le16(out, 2, h);
            le16(out, 4, gso);
            le16(out, 6, t);
            le16(out, 8, tcp ? 16 : 6);
            System.arraycopy(ip, 0, out, 10, ip.length);
            return out;
        }

        private byte[] headers(int payloadLen) {
            int t = ipHeader(), h = t + transportHeader();
            byte[] p = new byte[h + payloadLen];
            if (v6) {
                p[0] = (byte) (0x60 | (tos >>> 4));
                p[1] = (byte) (tos << 4);
                put16(p, 4, p.length - 40);
                p[6] = (byte) (tcp ? 6 : 17);
                p[7] = (byte) ttl;
                System.arraycopy(src, 0, p, 8, 16);
                System.arraycopy(dst, 0, p, 24, 16);
            } else {
                p[0] = 0x45;
                p[1] = (byte) tos;
                put16(p, 2, p.length);
                put16(p, 4, id);
                put16(p, 6, ipFlags << 13);
                p[8] = (byte) ttl;
                p[9] = (byte) (tcp ? 6 : 17);
                System.arraycopy(src, 0, p, 12, 4);
                System.arraycopy(dst, 0, p, 16, 4);
                put16(p, 10, ~sum(p, 0, 20, 0) & 0xffff);
            }
            put16(p, t, srcPort);
            put16(p, t + 2, dstPort);
            if (tcp) {
                put32(p, t + 4, seq);
                put32(p, t + 8, ack);
                p[t + 12] = (byte) ((transportHeader() / 4) << 4);
                p[t + 13] = (byte) flags;
                put16(p, t + 14, window);
                System.arraycopy(options, 0, p, t + 20, options.length);
            } else {
                put16(p, t + 4, 8 + payloadLen);
            }
            return p;
        }
    }

    static Spec tcp4() {
        return new Spec();
    }

    static Spec tcp6() {
        return new Spec().v6();
    }

    static Spec udp4() {
        return new Spec().udp();
    }

    static Spec udp6() {
        return new Spec().v6().udp();
    }

    static void le16(byte[] b, int i, int v) {
        b[i] = (byte) v;
        b[i + 1] = (byte) (v >>> 8);
    }

    /** True when the IPv4 header checksum (if any) and the TCP or UDP checksum of the packet verify. */
    static boolean checksumsValid(byte[] p) {
        boolean v6 = (p[0] & 0xf0) == 0x60;
        int t = v6 ? 40 : (p[0] & 0x0f) * 4;
        if (!v6 && sum(p, 0, t, 0) != 0xffff) return false;
        int proto = v6 ? p[6] : p[9];
        byte[] src = Arrays.copyOfRange(p, v6 ? 8 : 12, v6 ? 24 : 16);
        byte[] dst = Arrays.copyOfRange(p, v6 ? 24 : 16, v6 ? 40 : 20);
        return sum(p, t, p.length - t, pseudo(src, dst, proto, p.length - t)) == 0xffff;
    }

    static byte[] flip(byte[] p, int at) {
        p[at] ^= (byte) 0xff;
        p[at + 1] ^= (byte) 0xff;
        return p;
    }
}
