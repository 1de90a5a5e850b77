package dev.veil.linux;

import dev.veil.buffer.PacketBatch;
import dev.veil.conn.DatagramTransport;
import dev.veil.conn.TransportFactory;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A dual-stack UDP socket through the FFM API: one AF_INET6 socket with IPV6_V6ONLY off serves IPv4 (as mapped
 * addresses) and IPv6 peers; an AF_INET socket is the fallback where IPv6 is unavailable. SO_MARK carries the
 * firewall mark (wg-quick's policy routing needs it) and the buffers are enlarged. Reads wait in poll(2) with an
 * eventfd so {@link #close()} wakes them.
 *
 * <p>Datagrams move many per system call: {@link UdpReceiver} reads with recvmmsg(2) and splits UDP GRO
 * super-datagrams, {@link UdpSender} writes with sendmmsg(2) and packs runs of equal-size datagrams to one endpoint
 * into UDP GSO messages. GSO and GRO are probed when the socket opens and turned off, logged once, when the kernel
 * refuses them; the system property {@code veil.udp.offload=false} turns both off and {@code veil.udp.batch=N} sets
 * the messages per call (1 gives the old one-datagram-per-call behaviour, for comparison). The socket's receive and
 * send buffers are 4 MiB ({@code SO_RCVBUFFORCE}, else up to the kernel's {@code rmem_max}/{@code wmem_max});
 * {@code veil.udp.buffer=BYTES} sets another size, 0 the kernel's default (for comparison).
 *
 * <p>One thread receives and one sends; {@link #close()} may come from any thread. Native buffers are allocated
 * once per transport (about 4 MB with the default batch) and freed when the descriptors close, once the receiver
 * and the sender have left.
 */
public final class UdpTransport implements DatagramTransport {
    private static final AtomicBoolean GSO_REFUSAL_LOGGED = new AtomicBoolean();
    private static final AtomicBoolean GRO_REFUSAL_LOGGED = new AtomicBoolean();

    private final WakeableFd socket;
    private final int port;
    private final UdpReceiver receiver;
    private final UdpSender sender;

    private UdpTransport(WakeableFd socket, boolean v6, int port, Options options, boolean gso, boolean gro) {
        this.socket = socket;
        this.port = port;
        // Freed when the socket closes, not when the GC finds the transport: a rebind (wg set listen-port) would
        // otherwise keep the old transport's 4 MB resident until a full collection.
        Arena arena = Arena.ofShared();
        try {
            this.receiver = new UdpReceiver(socket.fd, v6, options.batch(), gro, arena);
            this.sender = new UdpSender(socket.fd, v6, options.batch(), gso, arena);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
        socket.closeOnRelease(arena);
    }

    /**
     * How the socket moves datagrams: messages per system call (1 to 1024), whether to ask the kernel for UDP GSO on
     * send and UDP GRO on receive, and the size asked for the socket's receive and send buffers in bytes (0: the
     * kernel's default, untouched; at most {@value #MAX_BUFFER}).
     */
    record Options(int batch, boolean gso, boolean gro, int bufferBytes) {
        static final int DEFAULT_BATCH = 64;
        /** 4 MiB each way: bursts of GRO-sized batches wait in the socket instead of being dropped. */
        static final int DEFAULT_BUFFER = 4 << 20;
        static final int MAX_BUFFER = 256 << 20;

        Options {
            if (batch < 1 || batch > 1024) throw new IllegalArgumentException("batch " + batch);
            if (bufferBytes < 0 || bufferBytes > MAX_BUFFER) throw new IllegalArgumentException("buffer " + bufferBytes);
        }

        Options(int batch, boolean gso, boolean gro) {
            this(batch, gso, gro, DEFAULT_BUFFER);
        }

        /**
         * {@code veil.udp.offload=false} turns GSO and GRO off; {@code veil.udp.batch} sets the batch (default 64),
         * {@code veil.udp.buffer} the buffers (default 4 MiB, 0 the kernel's); out-of-range numbers are clamped.
         */
        static Options fromSystemProperties() {
            boolean offload = !"false".equalsIgnoreCase(System.getProperty("veil.udp.offload", "true").strip());
            int batch = Math.clamp(Integer.getInteger("veil.udp.batch", DEFAULT_BATCH), 1, 1024);
            int buffer = Math.clamp(Integer.getInteger("veil.udp.buffer", DEFAULT_BUFFER), 0, MAX_BUFFER);
            return new Options(batch, offload, offload, buffer);
        }
    }

    /** The factory the daemon gives its device. */
    public static TransportFactory factory() {
        return UdpTransport::open;
    }

    /** Opens a socket on the port (0 for any) with the firewall mark (0 for none), set up from the system properties. */
    public static UdpTransport open(int port, int fwmark) throws IOException {
        return open(port, fwmark, Options.fromSystemProperties());
    }

    /** Opens a socket on the port (0 for any) with the firewall mark (0 for none) and these options. */
    static UdpTransport open(int port, int fwmark, Options options) throws IOException {
        return open(port, fwmark, options, false);
    }

    /** Opens the AF_INET socket that serves where IPv6 is unavailable, so tests can reach it on any kernel. */
    static UdpTransport openIpv4Only(int port, int fwmark, Options options) throws IOException {
        return open(port, fwmark, options, true, false);
    }

    /**
     * Opens an AF_INET socket on 127.0.0.1 and a free port, set up like the real one from the system properties:
     * reachable only from this host's (or namespace's) loopback, for traffic that must not leave it (the warm-up).
     */
    public static UdpTransport openLoopback() throws IOException {
        return open(0, 0, Options.fromSystemProperties(), true, true);
    }

    private static UdpTransport open(int port, int fwmark, Options options, boolean ipv4Only) throws IOException {
        return open(port, fwmark, options, ipv4Only, false);
    }

    private static UdpTransport open(int port, int fwmark, Options options, boolean ipv4Only, boolean loopback)
            throws IOException {
        if (port < 0 || port > 65535) throw new IOException("invalid port " + port);
        int fd;
        boolean v6 = !ipv4Only;
        int type = Libc.SOCK_DGRAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC;
        try {
            fd = Libc.socket(v6 ? Libc.AF_INET6 : Libc.AF_INET, type, 0);
        } catch (Libc.Errno e) {
            if (!v6 || e.errno != Libc.EAFNOSUPPORT) throw e;
            fd = Libc.socket(Libc.AF_INET, type, 0);
            v6 = false;
        }
        try (Arena a = Arena.ofConfined()) {
            if (v6) Libc.setsockopt(fd, Libc.IPPROTO_IPV6, Libc.IPV6_V6ONLY, 0);
            if (fwmark != 0) Libc.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_MARK, fwmark);
            if (options.bufferBytes() > 0) enlargeBuffers(fd, options.bufferBytes());
            // UDP_SEGMENT 0 sets no default segment size; it only asks whether the kernel knows GSO
            boolean gso = options.gso() && offload(fd, Libc.UDP_SEGMENT, 0, "GSO", GSO_REFUSAL_LOGGED);
            boolean gro = options.gro() && offload(fd, Libc.UDP_GRO, 1, "GRO", GRO_REFUSAL_LOGGED);
            MemorySegment addr = a.allocate(v6 ? 28 : 16);
            addr.set(ValueLayout.JAVA_SHORT, 0, (short) (v6 ? Libc.AF_INET6 : Libc.AF_INET));
            addr.set(ValueLayout.JAVA_BYTE, 2, (byte) (port >>> 8));
            addr.set(ValueLayout.JAVA_BYTE, 3, (byte) port);
            if (loopback && !v6) addr.set(ValueLayout.JAVA_BYTE, 4, (byte) 127);  // 127.0.0.0, then .1
            if (loopback && !v6) addr.set(ValueLayout.JAVA_BYTE, 7, (byte) 1);
            try {
                Libc.bind(fd, addr);
            } catch (Libc.Errno e) {
                throw e.errno == Libc.EADDRINUSE ? new PortInUseException(port) : e;
            }
            MemorySegment local = a.allocate(128);
            Libc.getsockname(fd, local);
            int bound = (local.get(ValueLayout.JAVA_BYTE, 2) & 0xff) << 8 | (local.get(ValueLayout.JAVA_BYTE, 3) & 0xff);
            return new UdpTransport(new WakeableFd(fd), v6, bound, options, gso, gro);
        } catch (IOException | RuntimeException e) {
            Libc.close(fd);
            throw e;
        }
    }

    /** Sets a SOL_UDP offload option; false, logged once, when the kernel refuses it. */
    private static boolean offload(int fd, int option, int value, String name, AtomicBoolean logged) {
        try {
            Libc.setsockopt(fd, Libc.SOL_UDP, option, value);
            return true;
        } catch (Libc.Errno e) {
            logRefusal(name, e.errno, logged);
            return false;
        }
    }

    /** Logs, once per process and offload, that the kernel refused UDP GSO or GRO. */
    static void logRefusal(String name, int errno, AtomicBoolean logged) {
        if (logged.compareAndSet(false, true)) {
            System.getLogger("dev.veil.linux").log(System.Logger.Level.WARNING, "veil: the kernel refused UDP " + name
                + " (" + Libc.strerror(errno) + "); moving one datagram per message");
        }
    }

    static void logGsoRefusal(int errno) {
        logRefusal("GSO", errno, GSO_REFUSAL_LOGGED);
    }

    /** The UDP port is taken. */
    public static final class PortInUseException extends IOException {
        PortInUseException(int port) {
            super("UDP port " + port + " is already in use");
        }
    }

    private static void enlargeBuffers(int fd, int bytes) {
        for (int[] opt : new int[][] {{Libc.SO_RCVBUFFORCE, Libc.SO_RCVBUF}, {Libc.SO_SNDBUFFORCE, Libc.SO_SNDBUF}}) {
            try {
                Libc.setsockopt(fd, Libc.SOL_SOCKET, opt[0], bytes);  // needs CAP_NET_ADMIN
            } catch (IOException e) {
                try {
                    Libc.setsockopt(fd, Libc.SOL_SOCKET, opt[1], bytes);
                } catch (IOException ignored) {
                    // the default buffer still works
                }
            }
        }
    }

    @Override
    public int localPort() { return port; }

    /** The socket's descriptor (for tests reading its options). */
    int fd() { return socket.fd; }

    @Override
    public int receive(PacketBatch batch) throws IOException {
        batch.clear();
        if (!socket.enter()) return -1;
        try {
            while (!socket.isClosed()) {
                int n = receiver.drain(batch, socket);
                if (n > 0) return n;
                socket.awaitReadable();
            }
            return -1;
        } finally {
            socket.leave();
        }
    }

    /** Drops what cannot be sent, as UDP does; does nothing once closed. */
    @Override
    public void send(PacketBatch batch) {
        if (batch.count() == 0 || !socket.enter()) return;
        try {
            sender.send(batch);
        } finally {
            socket.leave();
        }
    }

    /** Whether sends use UDP GSO now (false once the kernel refused it). */
    boolean gso() { return sender.gso(); }

    /** Whether receives ask for UDP GRO. */
    boolean gro() { return receiver.gro(); }

    /** Counters of system calls, messages and datagrams each way, for tests and benchmarks. */
    record Stats(long sendCalls, long sentMessages, long sentDatagrams, long gsoMessages, long sendDrops,
                 long receiveCalls, long receivedMessages, long receivedDatagrams, long groMessages, long receiveDrops) {}

    /** The messages the receiver's last recvmmsg asked for (tests). */
    int lastReceiveRequest() {
        return receiver.lastRequested();
    }

    /** The counters so far; approximate while another thread sends or receives. */
    Stats stats() {
        return new Stats(sender.syscalls(), sender.messages(), sender.datagrams(), sender.segmented(), sender.dropped(),
            receiver.syscalls(), receiver.messages(), receiver.datagrams(), receiver.coalesced(), receiver.dropped());
    }

    /** Stops the transport: a blocked receive returns -1; the descriptors close once the receiver and sender have left. */
    @Override
    public void close() {
        socket.close();
    }
}
