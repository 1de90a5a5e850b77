package dev.veil.offload;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The Internet checksum (RFC 1071) over byte arrays: unfolded sums that can be chained, folding, and the TCP/UDP
 * pseudo-header. Sums eight bytes at a time. Stateless and thread-safe.
 */
final class Checksum {
    private Checksum() {}

    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    /**
     * Adds the big-endian 16-bit words of b[off, off+len) to {@code sum} (an odd last byte is padded with zero) and
     * returns the unfolded result. Safe for len up to 2^20 and sums from this class.
     */
    static long add(long sum, byte[] b, int off, int len) {
        int i = off, end = off + len;
        for (; i + 8 <= end; i += 8) {
            long v = (long) LONG.get(b, i);
            sum += (v >>> 32) + (v & 0xffffffffL);
        }
        for (; i + 2 <= end; i += 2) sum += (b[i] & 0xff) << 8 | (b[i + 1] & 0xff);
        if (i < end) sum += (b[i] & 0xff) << 8;
        return sum;
    }

    /** Folds an unfolded sum to 16 bits (one's complement addition of its 16-bit parts), not complemented. */
    static int fold(long sum) {
        sum = (sum & 0xffffffffL) + (sum >>> 32);
        sum = (sum & 0xffffffffL) + (sum >>> 32);
        sum = (sum & 0xffff) + (sum >>> 16);
        sum = (sum & 0xffff) + (sum >>> 16);
        sum = (sum & 0xffff) + (sum >>> 16);
        return (int) sum;
    }

    /** The checksum field value of a header or segment whose sum (with the field zero) is {@code sum}. */
    static int finish(long sum) {
        return ~fold(sum) & 0xffff;
    }

    /**
     * The unfolded pseudo-header sum of a TCP or UDP segment: source and destination address (addrLen bytes each,
     * back to back at b[addrOff]), protocol and the transport length.
     */
    static long pseudoHeader(byte[] b, int addrOff, int addrLen, int protocol, int length) {
        return add(protocol + (long) length, b, addrOff, 2 * addrLen);
    }

    static int u16(byte[] b, int i) {
        return (b[i] & 0xff) << 8 | (b[i + 1] & 0xff);
    }

    static void put16(byte[] b, int i, int v) {
        b[i] = (byte) (v >>> 8);
        b[i + 1] = (byte) v;
    }

    static int u32(byte[] b, int i) {
        return (b[i] & 0xff) << 24 | (b[i + 1] & 0xff) << 16 | (b[i + 2] & 0xff) << 8 | (b[i + 3] & 0xff);
    }

    static void put32(byte[] b, int i, int v) {
        b[i] = (byte) (v >>> 24);
        b[i + 1] = (byte) (v >>> 16);
        b[i + 2] = (byte) (v >>> 8);
        b[i + 3] = (byte) v;
    }
}
