package dev.veil.linux;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.veil.core.Endpoint;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Endpoints to and from {@code sockaddr_in} / {@code sockaddr_in6} in native memory, each way through a small
 * direct-mapped cache, so that steady traffic with a few peers neither makes an {@link Endpoint} per received
 * datagram nor encodes an address per sent one. Endpoint is an immutable value, so giving out one instance for
 * every datagram from the same source is safe. IPv4-mapped IPv6 sources become 4-byte endpoints; 4-byte endpoints
 * become mapped addresses on a dual-stack socket.
 *
 * <p>Not thread-safe: the receiver and the sender each own one.
 */
final class SockAddrs {
    private static final int WAYS = 64;
    /** Address bytes read as little-endian numbers, so that byte k of an address is {@code value >>> 8k}. */
    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long MAPPED_LOW = 0xffff0000L;  // bytes 16..19 of a mapped address: 00 00 ff ff

    private final boolean v6;
    // decode cache: key (hi, lo, tag = family << 16 | port) -> endpoint
    private final long[] keyHi = new long[WAYS];
    private final long[] keyLo = new long[WAYS];
    private final int[] keyTag = new int[WAYS];
    private final Endpoint[] decoded = new Endpoint[WAYS];
    // encode cache: endpoint -> sockaddr bytes (Mmsg.NAME_ROOM each) and length
    private final Endpoint[] encoded = new Endpoint[WAYS];
    private final int[] encodedLength = new int[WAYS];
    private final MemorySegment encodedBytes;

    /** For a socket of family AF_INET6 (v6) or AF_INET; the encode cache lives in the arena. */
    SockAddrs(boolean v6, Arena arena) {
        this.v6 = v6;
        this.encodedBytes = arena.allocate(WAYS * Mmsg.NAME_ROOM, 8);
    }

    /** The source endpoint in the sockaddr at m[off], or null for a family other than AF_INET and AF_INET6. */
    Endpoint decode(MemorySegment m, long off) {
        int family = m.get(JAVA_SHORT, off) & 0xffff;
        int port = (m.get(JAVA_BYTE, off + 2) & 0xff) << 8 | (m.get(JAVA_BYTE, off + 3) & 0xff);
        long hi;
        long lo;
        int tag;
        if (family == Libc.AF_INET) {
            hi = 0;
            lo = m.get(LE_INT, off + 4) & 0xffffffffL;
            tag = 4 << 16 | port;
        } else if (family == Libc.AF_INET6) {
            hi = m.get(LE_LONG, off + 8);
            lo = m.get(LE_LONG, off + 16);
            if (hi == 0 && (lo & 0xffffffffL) == MAPPED_LOW) {
                hi = 0;
                lo >>>= 32;
                tag = 4 << 16 | port;
            } else {
                tag = 6 << 16 | port;
            }
        } else {
            return null;
        }
        int h = (int) (hi ^ hi >>> 32 ^ lo ^ lo >>> 32) * 31 + tag;
        int slot = (h ^ h >>> 16) & (WAYS - 1);
        Endpoint e = decoded[slot];
        if (e != null && keyHi[slot] == hi && keyLo[slot] == lo && keyTag[slot] == tag) return e;
        byte[] a = new byte[tag >>> 16 == 4 ? 4 : 16];
        for (int k = 0; k < a.length; k++) a[k] = (byte) (k < 8 && a.length == 16 ? hi >>> 8 * k : lo >>> 8 * (k & 7));
        e = new Endpoint(a, port);
        keyHi[slot] = hi;
        keyLo[slot] = lo;
        keyTag[slot] = tag;
        decoded[slot] = e;
        return e;
    }

    /** Writes the sockaddr for e at m[off] (Mmsg.NAME_ROOM bytes); its length, or -1 when this socket cannot reach e. */
    int encode(Endpoint e, MemorySegment m, long off) {
        int slot = e.hashCode() & (WAYS - 1);
        long cached = slot * Mmsg.NAME_ROOM;
        Endpoint c = encoded[slot];
        if (c != e && !e.equals(c)) {
            int len = encode(e, encodedBytes, cached, v6);
            encoded[slot] = e;
            encodedLength[slot] = len;
        }
        MemorySegment.copy(encodedBytes, cached, m, off, Mmsg.NAME_ROOM);
        return encodedLength[slot];
    }

    private static int encode(Endpoint e, MemorySegment m, long off, boolean v6) {
        m.asSlice(off, Mmsg.NAME_ROOM).fill((byte) 0);
        byte[] a = e.address();
        if (!v6 && a.length != 4) return -1;
        m.set(JAVA_SHORT, off, (short) (v6 ? Libc.AF_INET6 : Libc.AF_INET));
        m.set(JAVA_BYTE, off + 2, (byte) (e.port() >>> 8));
        m.set(JAVA_BYTE, off + 3, (byte) e.port());
        if (!v6) {
            MemorySegment.copy(a, 0, m, JAVA_BYTE, off + 4, 4);
            return 16;
        }
        if (a.length == 4) {
            m.set(JAVA_BYTE, off + 18, (byte) 0xff);
            m.set(JAVA_BYTE, off + 19, (byte) 0xff);
            MemorySegment.copy(a, 0, m, JAVA_BYTE, off + 20, 4);
        } else {
            MemorySegment.copy(a, 0, m, JAVA_BYTE, off + 8, 16);
        }
        return 28;
    }
}
