package dev.veil.linux;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.veil.buffer.PacketBatch;
import dev.veil.core.Endpoint;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The send half of {@link UdpTransport}: a batch goes out through sendmmsg(2) from native memory allocated once.
 * With UDP GSO on, consecutive datagrams to the same endpoint with the same length (the last of a run may be
 * shorter) are packed back to back into one message whose SOL_UDP/UDP_SEGMENT control message tells the kernel the
 * segment size; the kernel (or the NIC) cuts it into datagrams. A message holds at most 64 segments and 64 KB, as
 * the kernel requires.
 *
 * <p>When the kernel refuses a GSO message, the message is resent one datagram at a time. EIO (older kernels say it
 * for a device that cannot checksum; newer ones checksum in software) and ENOPROTOOPT turn GSO off for this socket,
 * logged once. EINVAL (older kernels) or EMSGSIZE (newer) say a segment does not fit the path MTU: they turn GSO
 * off when no GSO message has gone through on this socket yet, and otherwise only that message is resent. Other
 * errors drop the message, as UDP does.
 *
 * <p>Not thread-safe: the one sending thread owns it.
 */
final class UdpSender {
    /** UDP_MAX_SEGMENTS. */
    static final int MAX_SEGMENTS = 64;
    /** The largest UDP payload over IPv4 (the smaller of the two families). */
    static final int MAX_PAYLOAD = 65507;
    private static final long AREA_BYTES = 256 << 10;
    private static final long CONTROL_ROOM = Mmsg.cmsgSpace(2);
    private static final long UDP_SEGMENT_CMSG_LEN = Mmsg.CMSG_HDR + 2;

    private final int fd;
    private final int slots;
    private final MemorySegment hdrs;
    private final MemorySegment iovs;
    private final MemorySegment names;
    private final MemorySegment controls;
    private final MemorySegment data;
    private final MemorySegment splitHdrs;
    private final MemorySegment splitIovs;
    private final int[] segments;
    private final int[] segmentSize;
    private final SockAddrs destinations;
    private boolean gso;
    private boolean gsoWorked;

    // counters: written by the sending thread only, read by others without synchronisation (monitoring, tests)
    private long syscalls;
    private long messages;
    private long datagrams;
    private long segmented;
    private long dropped;

    UdpSender(int fd, boolean v6, int slots, boolean gso, Arena arena) {
        this.fd = fd;
        this.slots = slots;
        this.gso = gso;
        this.hdrs = arena.allocate(slots * Mmsg.SIZE, 8);
        this.iovs = arena.allocate(slots * Mmsg.IOVEC, 8);
        this.names = arena.allocate(slots * Mmsg.NAME_ROOM, 8);
        this.controls = arena.allocate(slots * CONTROL_ROOM, 8);
        this.data = arena.allocate(AREA_BYTES, 64);
        this.splitHdrs = arena.allocate(MAX_SEGMENTS * Mmsg.SIZE, 8);
        this.splitIovs = arena.allocate(MAX_SEGMENTS * Mmsg.IOVEC, 8);
        this.segments = new int[slots];
        this.segmentSize = new int[slots];
        this.destinations = new SockAddrs(v6, arena);
        for (int i = 0; i < slots; i++) {
            Mmsg.link(hdrs, i, names, iovs, controls, CONTROL_ROOM);
            long c = i * CONTROL_ROOM;
            controls.set(JAVA_LONG, c, UDP_SEGMENT_CMSG_LEN);
            controls.set(JAVA_INT, c + Mmsg.CMSG_LEVEL, Libc.SOL_UDP);
            controls.set(JAVA_INT, c + Mmsg.CMSG_TYPE, Libc.UDP_SEGMENT);
        }
        for (int j = 0; j < MAX_SEGMENTS; j++) {
            long h = j * Mmsg.SIZE;
            splitHdrs.set(JAVA_LONG, h + Mmsg.IOV, splitIovs.address() + j * Mmsg.IOVEC);
            splitHdrs.set(JAVA_LONG, h + Mmsg.IOVLEN, 1L);
        }
    }

    boolean gso() { return gso; }

    /** Sends every datagram of the batch; what the kernel will not take is dropped and counted. */
    void send(PacketBatch batch) {
        int n = 0;            // messages filled
        long used = 0;        // bytes of the data area filled
        Endpoint to = null;   // the destination of message n - 1
        int total = 0;        // its length so far
        boolean open = false; // whether a datagram may still join it
        for (int i = 0; i < batch.count(); i++) {
            Endpoint e = batch.endpoint(i);
            int len = batch.length(i);
            if (e == null || len > 0xffff) {
                dropped++;  // no endpoint, or longer than any UDP datagram
                continue;
            }
            int m = n - 1;
            boolean join = open && len > 0 && len <= segmentSize[m] && segments[m] < MAX_SEGMENTS
                && total + len <= MAX_PAYLOAD && used + len <= AREA_BYTES && (e == to || e.equals(to));
            if (!join) {
                if (n == slots || used + len > AREA_BYTES) {
                    flush(n);
                    n = 0;
                    used = 0;
                }
                int nameLen = destinations.encode(e, names, n * Mmsg.NAME_ROOM);
                if (nameLen < 0) {
                    dropped++;  // an IPv6 endpoint on the IPv4-only fallback socket
                    open = false;
                    continue;
                }
                hdrs.set(JAVA_INT, n * Mmsg.SIZE + Mmsg.NAMELEN, nameLen);
            }
            // One copy for both cases: C2 inlines each MemorySegment.copy at 4-6 MB of its memory.
            MemorySegment.copy(batch.segment(i), 0, data, used, len);
            if (join) {
                total += len;
                segments[m]++;
                iovs.set(JAVA_LONG, m * Mmsg.IOVEC + 8, total);
                open = len == segmentSize[m];
            } else {
                iovs.set(JAVA_LONG, n * Mmsg.IOVEC, data.address() + used);
                iovs.set(JAVA_LONG, n * Mmsg.IOVEC + 8, len);
                segments[n] = 1;
                segmentSize[n] = len;
                total = len;
                to = e;
                open = gso && len > 0;
                n++;
            }
            used += len;
        }
        flush(n);
    }

    /** Sends messages [0, n), with the UDP_SEGMENT control message on those that hold several datagrams. */
    private void flush(int n) {
        for (int m = 0; m < n; m++) {
            boolean segmentedMessage = segments[m] > 1;
            hdrs.set(JAVA_LONG, m * Mmsg.SIZE + Mmsg.CONTROLLEN, segmentedMessage ? CONTROL_ROOM : 0);
            if (segmentedMessage) controls.set(JAVA_SHORT, m * CONTROL_ROOM + Mmsg.CMSG_HDR, (short) segmentSize[m]);
        }
        sendAll(hdrs, n, true);
    }

    /** sendmmsg until every message of the array went out or was dropped; main says whether it is hdrs. */
    private void sendAll(MemorySegment msgs, int n, boolean main) {
        int done = 0;
        while (done < n) {
            int r = Libc.sendmmsg(fd, done == 0 ? msgs : msgs.asSlice(done * Mmsg.SIZE), n - done);
            syscalls++;
            if (r > 0) {
                for (int m = done; m < done + r; m++) {
                    int count = main ? segments[m] : 1;
                    messages++;
                    datagrams += count;
                    if (count > 1) {
                        segmented++;
                        gsoWorked = true;
                    }
                }
                done += r;
                continue;
            }
            int e = -r;
            if (e == Libc.EINTR) continue;
            int count = main ? segments[done] : 1;
            boolean tooLarge = e == Libc.EINVAL || e == Libc.EMSGSIZE;
            if (count > 1 && (e == Libc.EIO || e == Libc.ENOPROTOOPT || tooLarge)) {
                if (!tooLarge || !gsoWorked) refuseGso(e);
                sendSplit(done);
            } else if (e == Libc.EAGAIN) {
                for (int m = done; m < n; m++) dropped += main ? segments[m] : 1;  // the send buffer is full
                return;
            } else {
                dropped += count;  // unreachable, refused by a firewall, ...: dropped, as UDP does
            }
            done++;
        }
    }

    /** Resends GSO message m as one message per datagram. */
    private void sendSplit(int m) {
        long base = iovs.get(JAVA_LONG, m * Mmsg.IOVEC);
        long total = iovs.get(JAVA_LONG, m * Mmsg.IOVEC + 8);
        int size = segmentSize[m];
        int count = segments[m];
        long name = hdrs.get(JAVA_LONG, m * Mmsg.SIZE + Mmsg.NAME);
        int nameLen = hdrs.get(JAVA_INT, m * Mmsg.SIZE + Mmsg.NAMELEN);
        for (int j = 0; j < count; j++) {
            long off = (long) j * size;
            splitIovs.set(JAVA_LONG, j * Mmsg.IOVEC, base + off);
            splitIovs.set(JAVA_LONG, j * Mmsg.IOVEC + 8, Math.min(size, total - off));
            long h = j * Mmsg.SIZE;
            splitHdrs.set(JAVA_LONG, h + Mmsg.NAME, name);
            splitHdrs.set(JAVA_INT, h + Mmsg.NAMELEN, nameLen);
        }
        sendAll(splitHdrs, count, false);
    }

    private void refuseGso(int errno) {
        if (!gso) return;
        gso = false;
        UdpTransport.logGsoRefusal(errno);
    }

    long syscalls() { return syscalls; }

    long messages() { return messages; }

    long datagrams() { return datagrams; }

    /** Messages that carried several datagrams (GSO). */
    long segmented() { return segmented; }

    long dropped() { return dropped; }
}
