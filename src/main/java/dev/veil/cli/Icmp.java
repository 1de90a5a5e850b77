package dev.veil.cli;

/** Builds and answers ICMPv4 echo packets, for the in-memory demo. Stateless. */
final class Icmp {
    private Icmp() {}

    /** An IPv4 ICMP echo request from src to dst with the given sequence number and 56 bytes of payload. */
    static byte[] echoRequest(byte[] src, byte[] dst, int id, int seq) {
        return echoRequest(src, dst, id, seq, 56);
    }

    /** An IPv4 ICMP echo request with {@code payload} bytes of payload. */
    static byte[] echoRequest(byte[] src, byte[] dst, int id, int seq, int payload) {
        byte[] p = new byte[20 + 8 + payload];
        p[0] = 0x45;
        p[2] = (byte) (p.length >>> 8);
        p[3] = (byte) p.length;
        p[8] = 64;  // TTL
        p[9] = 1;   // ICMP
        System.arraycopy(src, 0, p, 12, 4);
        System.arraycopy(dst, 0, p, 16, 4);
        put16(p, 10, checksum(p, 0, 20));
        p[20] = 8;  // echo request
        put16(p, 24, id);
        put16(p, 26, seq);
        for (int i = 0; i < payload; i++) p[28 + i] = (byte) i;
        put16(p, 22, checksum(p, 20, p.length - 20));
        return p;
    }

    /** The echo reply to an IPv4 echo request, or null when the packet is not one. */
    static byte[] answer(byte[] p) {
        if (p.length < 28 || (p[0] & 0xf0) != 0x40 || p[9] != 1 || p[20] != 8) return null;
        byte[] r = p.clone();
        System.arraycopy(p, 16, r, 12, 4);
        System.arraycopy(p, 12, r, 16, 4);
        r[10] = 0; r[11] = 0;
        put16(r, 10, checksum(r, 0, 20));
        r[20] = 0;  // echo reply
        r[22] = 0; r[23] = 0;
        put16(r, 22, checksum(r, 20, r.length - 20));
        return r;
    }

    /** True when p is an echo reply with the given sequence number. */
    static boolean isReply(byte[] p, int seq) {
        return p.length >= 28 && p[9] == 1 && p[20] == 0 && ((p[26] & 0xff) << 8 | (p[27] & 0xff)) == seq;
    }

    static int checksum(byte[] b, int off, int len) {
        long sum = 0;
        for (int i = 0; i + 1 < len; i += 2) sum += (b[off + i] & 0xff) << 8 | (b[off + i + 1] & 0xff);
        if ((len & 1) == 1) sum += (b[off + len - 1] & 0xff) << 8;
        while ((sum >>> 16) != 0) sum = (sum & 0xffff) + (sum >>> 16);
        return (int) (~sum & 0xffff);
    }

    private static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }
}
