package dev.veil.offload;

/**
 * The 10-byte {@code struct virtio_net_hdr} that a TUN opened with IFF_VNET_HDR puts in front of every packet:
 * flags (u8), gso_type (u8), hdr_len, gso_size, csum_start, csum_offset (each le16). A mutable holder, so reading
 * a header per packet does not allocate; {@link #read} validates what it can tell from the header alone.
 * Not thread-safe: one thread uses an instance at a time.
 */
public final class VirtioNetHdr {
    /** sizeof(struct virtio_net_hdr). */
    public static final int LENGTH = 10;
    /** The checksum from csum_start to the end, stored at csum_start + csum_offset, is left to the receiver. */
    public static final int F_NEEDS_CSUM = 1;
    /** The checksum was verified (the kernel may set it; Veil ignores it). */
    public static final int F_DATA_VALID = 2;
    public static final int GSO_NONE = 0, GSO_TCPV4 = 1, GSO_UDP = 3, GSO_TCPV6 = 4, GSO_UDP_L4 = 5;
    /** Flag bit of gso_type: the TCP stream uses ECN (CWR may be set on the first segment). */
    public static final int GSO_ECN = 0x80;

    public int flags;
    /** gso_type without {@link #GSO_ECN}; see {@link #ecn}. */
    public int gsoType;
    public boolean ecn;
    public int hdrLen;
    public int gsoSize;
    public int csumStart;
    public int csumOffset;

    /**
     * Reads the header at b[off, off+10) of a buffer of {@code len} bytes from off. False (fields unspecified) when
     * the buffer is shorter than a header, a flag bit is unknown, or gso_type is not one of NONE, TCPV4, TCPV6,
     * UDP_L4 (UDP, the old fragmentation offload, is never enabled, so it is refused too).
     */
    public boolean read(byte[] b, int off, int len) {
        if (len < LENGTH || off < 0 || off + LENGTH > b.length) return false;
        flags = b[off] & 0xff;
        int type = b[off + 1] & 0xff;
        ecn = (type & GSO_ECN) != 0;
        gsoType = type & ~GSO_ECN;
        hdrLen = le16(b, off + 2);
        gsoSize = le16(b, off + 4);
        csumStart = le16(b, off + 6);
        csumOffset = le16(b, off + 8);
        if ((flags & ~(F_NEEDS_CSUM | F_DATA_VALID)) != 0) return false;
        return switch (gsoType) {
            case GSO_NONE -> !ecn;
            case GSO_TCPV4, GSO_TCPV6, GSO_UDP_L4 -> true;
            default -> false;
        };
    }

    /** Writes this header to b[off, off+10). */
    public void write(byte[] b, int off) {
        write(b, off, flags, gsoType | (ecn ? GSO_ECN : 0), hdrLen, gsoSize, csumStart, csumOffset);
    }

    /** Writes a header with the given fields to b[off, off+10). */
    public static void write(byte[] b, int off, int flags, int gsoType, int hdrLen, int gsoSize, int csumStart,
                             int csumOffset) {
        b[off] = (byte) flags;
        b[off + 1] = (byte) gsoType;
        putLe16(b, off + 2, hdrLen);
        putLe16(b, off + 4, gsoSize);
        putLe16(b, off + 6, csumStart);
        putLe16(b, off + 8, csumOffset);
    }

    /** Writes the all-zero header (GSO_NONE, no flags): a packet that needs nothing done. */
    public static void writeNone(byte[] b, int off) {
        java.util.Arrays.fill(b, off, off + LENGTH, (byte) 0);
    }

    private static int le16(byte[] b, int i) {
        return (b[i] & 0xff) | (b[i + 1] & 0xff) << 8;
    }

    private static void putLe16(byte[] b, int i, int v) {
        b[i] = (byte) v;
        b[i + 1] = (byte) (v >>> 8);
    }
}
