package dev.veil.offload;

/** Offsets and numbers of the IPv4, IPv6, TCP and UDP headers that segmentation and coalescing touch. */
final class Ip {
    private Ip() {}

    static final int PROTO_TCP = 6, PROTO_UDP = 17;
    static final int V4_HEADER = 20, V6_HEADER = 40, UDP_HEADER = 8, TCP_HEADER = 20;
    /** IPv4: total length, id, flags/fragment offset, TTL, protocol, header checksum, source address. */
    static final int V4_TOTAL_LENGTH = 2, V4_ID = 4, V4_FLAGS = 6, V4_TTL = 8, V4_PROTOCOL = 9, V4_CHECKSUM = 10,
        V4_SRC = 12;
    /** IPv6: payload length, next header, hop limit, source address. */
    static final int V6_PAYLOAD_LENGTH = 4, V6_NEXT_HEADER = 6, V6_HOP_LIMIT = 7, V6_SRC = 8;
    /** TCP: sequence number, acknowledgement number, data offset, flags, checksum. */
    static final int TCP_SEQ = 4, TCP_ACK = 8, TCP_DATA_OFFSET = 12, TCP_FLAGS = 13, TCP_CHECKSUM = 16;
    static final int TCP_FIN = 0x01, TCP_PSH = 0x08, TCP_ACK_FLAG = 0x10, TCP_CWR = 0x80;
    /** UDP: length, checksum. */
    static final int UDP_LENGTH = 4, UDP_CHECKSUM = 6;
    /** The IPv4 MF flag and fragment offset bits of the flags/fragment field. */
    static final int V4_MF_AND_OFFSET = 0x3fff;
    static final int MAX_PACKET = 0xffff;

    /** Recomputes the header checksum of the IPv4 header at b[off, off+len). */
    static void setV4Checksum(byte[] b, int off, int len) {
        b[off + V4_CHECKSUM] = 0;
        b[off + V4_CHECKSUM + 1] = 0;
        Checksum.put16(b, off + V4_CHECKSUM, Checksum.finish(Checksum.add(0, b, off, len)));
    }
}
