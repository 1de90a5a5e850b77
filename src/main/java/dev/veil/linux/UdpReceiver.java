package dev.veil.linux;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.veil.buffer.PacketBatch;
import dev.veil.core.Endpoint;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The receive half of {@link UdpTransport}: recvmmsg(2) into native slots allocated once, each big enough for a
 * 64 KB UDP GRO super-datagram, then one batch entry per datagram. With UDP_GRO on, the kernel may hand over
 * several datagrams of {@code gso_size} bytes back to back in one slot (the last may be shorter), announced by a
 * SOL_UDP/UDP_GRO control message; they are split into separate entries. Datagrams that do not fit the batch stay
 * in the slots for the next call, so nothing received is lost when a super-datagram outgrows the batch.
 *
 * <p>Not thread-safe: the one receiving thread owns it.
 */
final class UdpReceiver {
    /** A slot holds the largest UDP payload, or a GRO super-datagram (the kernel stops coalescing below 64 KB). */
    static final int SLOT_BYTES = 65536;
    /**
     * Slots with GRO, whatever the batch: a GRO message holds up to about 45 datagrams, so 16 of them hold ten
     * batches' worth, and a burst that fills every slot (small datagrams first make each call ask for all of them)
     * touches 1 MB instead of the batch's 64 slots' 4 MB, which then stays resident.
     */
    static final int GRO_SLOTS = 16;
    private static final long CONTROL_ROOM = 64;

    private final int fd;
    private final int slots;
    private final MemorySegment hdrs;
    private final MemorySegment data;
    private final MemorySegment names;
    private final MemorySegment controls;
    private final SockAddrs sources;
    private final boolean gro;

    // messages of the last recvmmsg not yet handed out: [next, received); offset into message next
    private int received;
    private int next;
    private int offset;
    private Endpoint from;
    /**
     * Datagrams per message in the last recvmmsg (at least 1). With GRO a message often holds dozens, so the next
     * call asks for only as many messages as the batch has room for at that rate: the kernel fills the first few
     * slots instead of all of them, and the others' pages are never touched (4 MB of slots stayed resident under
     * bulk GRO traffic when every call asked for all of them).
     */
    private int perMessage = 1;
    /** With GRO: the datagram size of each message of the last recvmmsg, read from its control message once. */
    private final int[] segmentOf;
    private int lastRequested;

    // counters: written by the receiving thread only, read by others without synchronisation (monitoring, tests)
    private long syscalls;
    private long messages;
    private long datagrams;
    private long coalesced;
    private long dropped;

    UdpReceiver(int fd, boolean v6, int batch, boolean gro, Arena arena) {
        int n = gro ? Math.min(batch, GRO_SLOTS) : batch;
        this.fd = fd;
        this.slots = n;
        this.gro = gro;
        this.segmentOf = new int[gro ? n : 0];
        this.hdrs = arena.allocate(n * Mmsg.SIZE, 8);
        this.names = arena.allocate(n * Mmsg.NAME_ROOM, 8);
        this.controls = arena.allocate(n * CONTROL_ROOM, 8);
        this.data = arena.allocate((long) n * SLOT_BYTES, 64);
        this.sources = new SockAddrs(v6, arena);
        MemorySegment iovs = arena.allocate(n * Mmsg.IOVEC, 8);
        for (int i = 0; i < n; i++) {
            iovs.set(JAVA_LONG, i * Mmsg.IOVEC, data.address() + (long) i * SLOT_BYTES);
            iovs.set(JAVA_LONG, i * Mmsg.IOVEC + 8, SLOT_BYTES);
            Mmsg.link(hdrs, i, names, iovs, controls, CONTROL_ROOM);
        }
    }

    /**
     * Fills the batch (which the caller has cleared) with what is ready, without blocking: first datagrams left from
     * the last call, then recvmmsg until the batch is full or the socket has no more. Returns the batch's count.
     */
    int drain(PacketBatch batch, WakeableFd socket) {
        while (!batch.isFull()) {
            if (next < received) {
                emit(batch);
                continue;
            }
            int room = batch.capacity() - batch.count();
            int want = Math.min(slots, (room + perMessage - 1) / perMessage);
            lastRequested = want;
            for (int i = 0; i < want; i++) {
                long h = i * Mmsg.SIZE;
                hdrs.set(JAVA_INT, h + Mmsg.NAMELEN, (int) Mmsg.NAME_ROOM);
                hdrs.set(JAVA_LONG, h + Mmsg.CONTROLLEN, gro ? CONTROL_ROOM : 0);
                hdrs.set(JAVA_INT, h + Mmsg.FLAGS, 0);
            }
            int r = Libc.recvmmsg(fd, hdrs, want);
            syscalls++;
            if (r < 0) {
                int e = -r;
                if (e == Libc.EAGAIN || e == Libc.EINTR || socket.isClosed()) break;
                continue;  // e.g. ECONNREFUSED from an earlier ICMP: not fatal for UDP
            }
            received = r;
            next = 0;
            offset = 0;
            messages += r;
            if (gro && r > 0) perMessage = readSegmentSizes(r);
            if (r < want) {
                // the queue is empty: hand out what came without another call that would only say EAGAIN
                while (next < received && !batch.isFull()) emit(batch);
                break;
            }
        }
        return batch.count();
    }

    /** Moves datagrams of message {@code next} into the batch until it is done or the batch is full. */
    private void emit(PacketBatch batch) {
        long h = next * Mmsg.SIZE;
        int len = hdrs.get(JAVA_INT, h + Mmsg.LEN);
        if (offset == 0) {
            from = sources.decode(names, next * Mmsg.NAME_ROOM);
            if (from == null || len <= 0 || (hdrs.get(JAVA_INT, h + Mmsg.FLAGS) & Libc.MSG_TRUNC) != 0) {
                dropped++;  // unknown family, empty, or larger than a slot
                next++;
                return;
            }
        }
        int segment = gro ? segmentOf[next] : len;
        if (offset == 0 && segment < len) coalesced++;
        long base = (long) next * SLOT_BYTES;
        while (offset < len && !batch.isFull()) {
            int n = Math.min(segment, len - offset);
            int i = batch.count();
            if (n <= batch.bufferSize()) {
                MemorySegment.copy(data, base + offset, batch.segment(i), 0, n);
                batch.set(i, n, from);
                batch.setCount(i + 1);
                datagrams++;
            } else {
                dropped++;
            }
            offset += n;
        }
        if (offset >= len) {
            next++;
            offset = 0;
        }
    }

    /**
     * Reads the datagram size of each of the first r messages into {@link #segmentOf} and returns the datagrams they
     * hold on average, rounded down, at least 1.
     */
    private int readSegmentSizes(int r) {
        long total = 0;
        for (int m = 0; m < r; m++) {
            int len = hdrs.get(JAVA_INT, m * Mmsg.SIZE + Mmsg.LEN);
            int segment = len > 0 ? groSegmentSize(m, len) : 1;
            segmentOf[m] = segment;
            total += len > 0 ? (len + segment - 1) / segment : 1;
        }
        return (int) Math.max(1, total / r);
    }

    /** The messages the last recvmmsg asked for (tests). */
    int lastRequested() { return lastRequested; }

    /** The segment size from the message's SOL_UDP/UDP_GRO control message, or the whole length when there is none. */
    private int groSegmentSize(int m, int len) {
        long controlLen = hdrs.get(JAVA_LONG, m * Mmsg.SIZE + Mmsg.CONTROLLEN);
        long base = m * CONTROL_ROOM;
        long at = 0;
        while (at + Mmsg.CMSG_HDR <= controlLen) {
            long cmsgLen = controls.get(JAVA_LONG, base + at);
            if (cmsgLen < Mmsg.CMSG_HDR || at + cmsgLen > controlLen) break;
            if (controls.get(JAVA_INT, base + at + Mmsg.CMSG_LEVEL) == Libc.SOL_UDP
                    && controls.get(JAVA_INT, base + at + Mmsg.CMSG_TYPE) == Libc.UDP_GRO
                    && cmsgLen >= Mmsg.CMSG_HDR + 4) {
                int size = controls.get(JAVA_INT, base + at + Mmsg.CMSG_HDR);
                return size > 0 ? size : len;
            }
            at += (cmsgLen + 7) & ~7L;
        }
        return len;
    }

    boolean gro() { return gro; }

    long syscalls() { return syscalls; }

    long messages() { return messages; }

    long datagrams() { return datagrams; }

    /** Messages that held more than one datagram (GRO). */
    long coalesced() { return coalesced; }

    long dropped() { return dropped; }
}
