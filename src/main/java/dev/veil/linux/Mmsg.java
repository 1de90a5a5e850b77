package dev.veil.linux;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;

/**
 * The LP64 Linux layouts of {@code struct mmsghdr} (a {@code struct msghdr} and its {@code msg_len}),
 * {@code struct iovec} and {@code struct cmsghdr}, as recvmmsg(2) and sendmmsg(2) take them, with helpers that fill
 * one entry of an array. Stateless.
 */
final class Mmsg {
    private Mmsg() {}

    /** sizeof(struct mmsghdr). */
    static final long SIZE = 64;
    static final long NAME = 0, NAMELEN = 8, IOV = 16, IOVLEN = 24, CONTROL = 32, CONTROLLEN = 40, FLAGS = 48, LEN = 56;
    /** sizeof(struct iovec): base then length. */
    static final long IOVEC = 16;
    /** The room for one sockaddr_in6 (28 bytes), rounded up so that every address starts 8-byte aligned. */
    static final long NAME_ROOM = 32;
    /** sizeof(struct cmsghdr): cmsg_len (size_t), cmsg_level, cmsg_type; the data follows. */
    static final long CMSG_HDR = 16;
    static final long CMSG_LEVEL = 8, CMSG_TYPE = 12;

    /** CMSG_SPACE(len): the header and the data, rounded up to 8 bytes. */
    static long cmsgSpace(long len) {
        return CMSG_HDR + ((len + 7) & ~7L);
    }

    /**
     * Links entry i of the mmsghdr array to its name room in names and to its one iovec in iovs, with the control
     * pointer at controls[i * controlRoom] (controls may be NULL). Raw addresses are stored, so the caller keeps the
     * segments alive (the transport holds them for its whole life).
     */
    static void link(MemorySegment hdrs, int i, MemorySegment names, MemorySegment iovs, MemorySegment controls,
            long controlRoom) {
        long h = i * SIZE;
        hdrs.set(JAVA_LONG, h + NAME, names.address() + i * NAME_ROOM);
        hdrs.set(JAVA_LONG, h + IOV, iovs.address() + i * IOVEC);
        hdrs.set(JAVA_LONG, h + IOVLEN, 1L);
        hdrs.set(JAVA_LONG, h + CONTROL, controls.address() == 0 ? 0 : controls.address() + i * controlRoom);
    }
}
