package dev.veil.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.veil.buffer.HeapSlices;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The few libc calls the Linux data plane needs, bound through the FFM API (no C code, no JNI). Each call captures
 * errno; failures become {@link IOException}s that name the call and the error. Calls on non-blocking descriptors
 * that take buffers are bound as critical, so Java arrays are passed without copying. Stateless and thread-safe.
 */
final class Libc {
    private Libc() {}

    static final int O_RDWR = 2, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    static final int AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10;
    static final int SOCK_DGRAM = 2, SOCK_SEQPACKET = 5, SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1, SO_RCVBUF = 8, SO_SNDBUF = 7, SO_RCVBUFFORCE = 33, SO_SNDBUFFORCE = 32, SO_MARK = 36;
    static final int IPPROTO_IPV6 = 41, IPV6_V6ONLY = 26;
    static final int POLLIN = 1, POLLERR = 8, POLLHUP = 0x10, POLLNVAL = 0x20;
    static final int EFD_NONBLOCK = 0x800, EFD_CLOEXEC = 0x80000;
    static final int EINTR = 4, EAGAIN = 11, EBADFD = 77, ENODEV = 19, EADDRINUSE = 98, EAFNOSUPPORT = 97;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final MemoryLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");
    private static final ThreadLocal<MemorySegment> STATE =
        ThreadLocal.withInitial(() -> Arena.global().allocate(CALL_STATE));

    private static MethodHandle bind(String name, FunctionDescriptor fd, Linker.Option... extra) {
        Linker.Option[] opts = new Linker.Option[extra.length + 1];
        opts[0] = CAPTURE;
        System.arraycopy(extra, 0, opts, 1, extra.length);
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(), fd, opts);
    }

    private static final MethodHandle OPEN = bind("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle IOCTL_PTR = bind("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
        Linker.Option.firstVariadicArg(2));
    private static final MethodHandle IOCTL_INT = bind("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG),
        Linker.Option.firstVariadicArg(2));
    private static final MethodHandle READ = bind("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG),
        Linker.Option.critical(true));
    private static final MethodHandle WRITE = bind("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG),
        Linker.Option.critical(true));
    private static final MethodHandle POLL = bind("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle EVENTFD = bind("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SOCKET = bind("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SOCKETPAIR = bind("socketpair",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle BIND = bind("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SETSOCKOPT = bind("setsockopt",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKOPT = bind("getsockopt",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle GETSOCKNAME = bind("getsockname", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle RECVFROM = bind("recvfrom",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS), Linker.Option.critical(true));
    private static final MethodHandle SENDTO = bind("sendto",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT), Linker.Option.critical(true));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(LIBC.find("strerror").orElseThrow(),
        FunctionDescriptor.of(ADDRESS, JAVA_INT));

    /** Each thread's heap segments of the arrays it reads into and writes from (no allocation per call). */
    private static final ThreadLocal<HeapSlices> SLICES = ThreadLocal.withInitial(HeapSlices::new);

    static int errno() {
        return (int) ERRNO.get(STATE.get(), 0L);
    }

    static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    /** An IOException for a failed call, with the errno kept for callers that branch on it. */
    static final class Errno extends IOException {
        final int errno;

        Errno(String call, int errno) {
            super(call + ": " + strerror(errno));
            this.errno = errno;
        }
    }

    private static int check(String call, int r) throws Errno {
        if (r < 0) throw new Errno(call, errno());
        return r;
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    static int open(String path, int flags) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            return check("open " + path, (int) OPEN.invokeExact(STATE.get(), a.allocateFrom(path), flags));
        } catch (Errno e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void close(int fd) {
        try {
            int r = (int) CLOSE.invokeExact(STATE.get(), fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int ioctl(int fd, long request, MemorySegment arg) throws Errno {
        try {
            return check("ioctl", (int) IOCTL_PTR.invokeExact(STATE.get(), fd, request, arg));
        } catch (Errno e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int ioctl(int fd, long request, long arg) throws Errno {
        try {
            return check("ioctl", (int) IOCTL_INT.invokeExact(STATE.get(), fd, request, arg));
        } catch (Errno e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** read(2) into buf[off, off+len); returns the count, or -errno. */
    static long read(int fd, byte[] buf, int off, int len) {
        try {
            java.util.Objects.checkFromIndexSize(off, len, buf.length);
            long r = (long) READ.invokeExact(STATE.get(), fd, SLICES.get().at(buf, off), (long) len);
            return r < 0 ? -errno() : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** write(2) of buf[off, off+len); returns the count, or -errno. */
    static long write(int fd, byte[] buf, int off, int len) {
        try {
            java.util.Objects.checkFromIndexSize(off, len, buf.length);
            long r = (long) WRITE.invokeExact(STATE.get(), fd, SLICES.get().at(buf, off), (long) len);
            return r < 0 ? -errno() : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Writes the 8-byte value 1 to an eventfd (to wake a poller). */
    static void wake(int eventFd) {
        byte[] one = {1, 0, 0, 0, 0, 0, 0, 0};
        write(eventFd, one, 0, 8);
    }

    static int eventfd() throws Errno {
        try {
            return check("eventfd", (int) EVENTFD.invokeExact(STATE.get(), 0, EFD_NONBLOCK | EFD_CLOEXEC));
        } catch (Errno e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Waits until fd is readable (or has an error) or the wake descriptor fires. Returns the revents of fd, or 0
     * when woken; retries on EINTR.
     */
    static int pollIn(int fd, int wakeFd, MemorySegment pollfds) throws Errno {
        return pollIn(fd, wakeFd, pollfds, -1);
    }

    /** As {@link #pollIn(int, int, MemorySegment)}, giving up after timeoutMs (-1: never); 0 then too. */
    static int pollIn(int fd, int wakeFd, MemorySegment pollfds, int timeoutMs) throws Errno {
        pollfds.set(JAVA_INT, 0, fd);
        pollfds.set(JAVA_SHORT, 4, (short) POLLIN);
        pollfds.set(JAVA_SHORT, 6, (short) 0);
        pollfds.set(JAVA_INT, 8, wakeFd);
        pollfds.set(JAVA_SHORT, 12, (short) POLLIN);
        pollfds.set(JAVA_SHORT, 14, (short) 0);
        while (true) {
            int r;
            try {
                r = (int) POLL.invokeExact(STATE.get(), pollfds, 2L, timeoutMs);
            } catch (Throwable t) {
                throw rethrow(t);
            }
            if (r < 0) {
                int e = errno();
                if (e == EINTR) continue;
                throw new Errno("poll", e);
            }
            if (pollfds.get(JAVA_SHORT, 14) != 0) return 0;
            return pollfds.get(JAVA_SHORT, 6) & 0xffff;
        }
    }

    static int socket(int domain, int type, int protocol) throws Errno {
        try {
            return check("socket", (int) SOCKET.invokeExact(STATE.get(), domain, type, protocol));
        } catch (Errno e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** socketpair(2): two connected descriptors. */
    static int[] socketpair(int domain, int type) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fds = a.allocate(JAVA_INT, 2);
            check("socketpair", (int) SOCKETPAIR.invokeExact(STATE.get(), domain, type, 0, fds));
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        } catch (Errno e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void bind(int fd, MemorySegment addr) throws Errno {
        try {
            check("bind", (int) BIND.invokeExact(STATE.get(), fd, addr, (int) addr.byteSize()));
        } catch (Errno e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void setsockopt(int fd, int level, int name, int value) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocateFrom(JAVA_INT, value);
            check("setsockopt", (int) SETSOCKOPT.invokeExact(STATE.get(), fd, level, name, v, 4));
        } catch (Errno e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** An int socket option's value (for tests and diagnostics). */
    static int getsockopt(int fd, int level, int name) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            MemorySegment len = a.allocateFrom(JAVA_INT, 4);
            check("getsockopt", (int) GETSOCKOPT.invokeExact(STATE.get(), fd, level, name, v, len));
            return v.get(JAVA_INT, 0);
        } catch (Errno e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The local address of a socket into addr (128 bytes); returns its length. */
    static int getsockname(int fd, MemorySegment addr) throws Errno {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment len = a.allocateFrom(JAVA_INT, (int) addr.byteSize());
            check("getsockname", (int) GETSOCKNAME.invokeExact(STATE.get(), fd, addr, len));
            return len.get(JAVA_INT, 0);
        } catch (Errno e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** recvfrom(2) into buf, the source into addr (a heap segment of 28 bytes) and addrLen; count or -errno. */
    static long recvfrom(int fd, byte[] buf, int off, int len, byte[] addr, int[] addrLen) {
        try {
            MemorySegment lenSeg = MemorySegment.ofArray(addrLen);
            long r = (long) RECVFROM.invokeExact(STATE.get(), fd, MemorySegment.ofArray(buf).asSlice(off, len), (long) len, 0,
                MemorySegment.ofArray(addr), lenSeg);
            return r < 0 ? -errno() : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** sendto(2) of buf to the sockaddr in addr[0, addrLen); count or -errno. */
    static long sendto(int fd, byte[] buf, int off, int len, byte[] addr, int addrLen) {
        try {
            long r = (long) SENDTO.invokeExact(STATE.get(), fd, MemorySegment.ofArray(buf).asSlice(off, len), (long) len, 0,
                MemorySegment.ofArray(addr), addrLen);
            return r < 0 ? -errno() : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- batched UDP (recvmmsg/sendmmsg, UDP GSO/GRO): added for UdpTransport's batching --------------------------

    static final int SOL_UDP = 17, UDP_SEGMENT = 103, UDP_GRO = 104;
    static final int MSG_TRUNC = 0x20;
    static final int EIO = 5, EINVAL = 22, EMSGSIZE = 90, ENOPROTOOPT = 92;

    // Bound as critical: the socket is non-blocking, so the calls return at once, and they touch off-heap memory only.
    private static final MethodHandle RECVMMSG = bind("recvmmsg",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS), Linker.Option.critical(false));
    private static final MethodHandle SENDMMSG = bind("sendmmsg",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.critical(false));

    /** recvmmsg(2) of up to vlen messages into the struct mmsghdr array at msgs, no timeout; count or -errno. */
    static int recvmmsg(int fd, MemorySegment msgs, int vlen) {
        try {
            int r = (int) RECVMMSG.invokeExact(STATE.get(), fd, msgs, vlen, 0, MemorySegment.NULL);
            return r < 0 ? -errno() : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** sendmmsg(2) of up to vlen messages from the struct mmsghdr array at msgs; count sent or -errno. */
    static int sendmmsg(int fd, MemorySegment msgs, int vlen) {
        try {
            int r = (int) SENDMMSG.invokeExact(STATE.get(), fd, msgs, vlen, 0);
            return r < 0 ? -errno() : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
