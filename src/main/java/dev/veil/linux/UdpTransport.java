package dev.veil.linux;

import dev.veil.buffer.PacketBatch;
import dev.veil.conn.DatagramTransport;
import dev.veil.conn.TransportFactory;
import dev.veil.core.Endpoint;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A dual-stack UDP socket through the FFM API: one AF_INET6 socket with IPV6_V6ONLY off serves IPv4 (as mapped
 * addresses) and IPv6 peers; an AF_INET socket is the fallback where IPv6 is unavailable. SO_MARK carries the
 * firewall mark (wg-quick's policy routing needs it) and the buffers are enlarged. Reads wait in poll(2) with an
 * eventfd so {@link #close()} wakes them, then drain what is ready up to the batch size.
 *
 * <p>One thread receives and one sends; {@link #close()} may come from any thread. It waits for a receive in progress
 * to return before it closes the descriptors: a poll(2) that its wake-up has not yet run looks the numbers up again,
 * and once a new socket has taken them (the device's rebind opens one at once) it would find nothing ready and sleep
 * on the old socket for ever.
 */
public final class UdpTransport implements DatagramTransport {
    private static final int BUFFER_BYTES = 4 << 20;
    private static final byte[] V4_MAPPED = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff};

    private final int fd;
    private final int wakeFd;
    private final boolean v6;
    private final int port;
    private final MemorySegment pollfds = Arena.global().allocate(16, 8);
    private final byte[] rxAddr = new byte[28];
    private final int[] rxAddrLen = new int[1];
    private final byte[] txAddr = new byte[28];
    private final Object state = new Object();
    private volatile boolean closed;
    private boolean receiving;  // guarded by state

    private UdpTransport(int fd, int wakeFd, boolean v6, int port) {
        this.fd = fd;
        this.wakeFd = wakeFd;
        this.v6 = v6;
        this.port = port;
    }

    /** The factory the daemon gives its device. */
    public static TransportFactory factory() {
        return UdpTransport::open;
    }

    /** Opens a socket on the port (0 for any) with the firewall mark (0 for none). */
    public static UdpTransport open(int port, int fwmark) throws IOException {
        if (port < 0 || port > 65535) throw new IOException("invalid port " + port);
        int fd;
        boolean v6 = true;
        try {
            fd = Libc.socket(Libc.AF_INET6, Libc.SOCK_DGRAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        } catch (Libc.Errno e) {
            if (e.errno != Libc.EAFNOSUPPORT) throw e;
            fd = Libc.socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
            v6 = false;
        }
        try (Arena a = Arena.ofConfined()) {
            if (v6) Libc.setsockopt(fd, Libc.IPPROTO_IPV6, Libc.IPV6_V6ONLY, 0);
            if (fwmark != 0) Libc.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_MARK, fwmark);
            enlargeBuffers(fd);
            MemorySegment addr = a.allocate(v6 ? 28 : 16);
            addr.set(ValueLayout.JAVA_SHORT, 0, (short) (v6 ? Libc.AF_INET6 : Libc.AF_INET));
            addr.set(ValueLayout.JAVA_BYTE, 2, (byte) (port >>> 8));
            addr.set(ValueLayout.JAVA_BYTE, 3, (byte) port);
            try {
                Libc.bind(fd, addr);
            } catch (Libc.Errno e) {
                throw e.errno == Libc.EADDRINUSE ? new PortInUseException(port) : e;
            }
            MemorySegment local = a.allocate(128);
            Libc.getsockname(fd, local);
            int bound = (local.get(ValueLayout.JAVA_BYTE, 2) & 0xff) << 8 | (local.get(ValueLayout.JAVA_BYTE, 3) & 0xff);
            return new UdpTransport(fd, Libc.eventfd(), v6, bound);
        } catch (IOException | RuntimeException e) {
            Libc.close(fd);
            throw e;
        }
    }

    /** The UDP port is taken. */
    public static final class PortInUseException extends IOException {
        PortInUseException(int port) {
            super("UDP port " + port + " is already in use");
        }
    }

    private static void enlargeBuffers(int fd) {
        for (int[] opt : new int[][] {{Libc.SO_RCVBUFFORCE, Libc.SO_RCVBUF}, {Libc.SO_SNDBUFFORCE, Libc.SO_SNDBUF}}) {
            try {
                Libc.setsockopt(fd, Libc.SOL_SOCKET, opt[0], BUFFER_BYTES);  // needs CAP_NET_ADMIN
            } catch (IOException e) {
                try {
                    Libc.setsockopt(fd, Libc.SOL_SOCKET, opt[1], BUFFER_BYTES);
                } catch (IOException ignored) {
                    // the default buffer still works
                }
            }
        }
    }

    @Override
    public int localPort() { return port; }

    @Override
    public int receive(PacketBatch batch) throws IOException {
        batch.clear();
        synchronized (state) {
            if (closed) return -1;
            receiving = true;
        }
        try {
            while (!closed) {
                int n = drain(batch);
                if (n > 0) return n;
                Libc.pollIn(fd, wakeFd, pollfds);
            }
            return -1;
        } finally {
            synchronized (state) {
                receiving = false;
                state.notifyAll();
            }
        }
    }

    private int drain(PacketBatch batch) throws IOException {
        while (!batch.isFull()) {
            int i = batch.count();
            byte[] buf = batch.buffer(i);
            rxAddrLen[0] = rxAddr.length;
            long r = Libc.recvfrom(fd, buf, 0, buf.length, rxAddr, rxAddrLen);
            if (r < 0) {
                int e = (int) -r;
                if (e == Libc.EAGAIN || e == Libc.EINTR) break;
                if (closed) break;
                continue;  // e.g. ECONNREFUSED from an earlier ICMP: not fatal for UDP
            }
            Endpoint from = decode(rxAddr);
            if (from == null) continue;
            batch.set(i, (int) r, from);
            batch.setCount(i + 1);
        }
        return batch.count();
    }

    /** The endpoint in a sockaddr_in or sockaddr_in6; mapped IPv4 addresses become 4-byte addresses. */
    static Endpoint decode(byte[] sa) {
        int family = (sa[0] & 0xff) | (sa[1] & 0xff) << 8;
        int port = (sa[2] & 0xff) << 8 | (sa[3] & 0xff);
        if (family == Libc.AF_INET) return new Endpoint(java.util.Arrays.copyOfRange(sa, 4, 8), port);
        if (family != Libc.AF_INET6) return null;
        if (java.util.Arrays.equals(sa, 8, 20, V4_MAPPED, 0, 12)) {
            return new Endpoint(java.util.Arrays.copyOfRange(sa, 20, 24), port);
        }
        return new Endpoint(java.util.Arrays.copyOfRange(sa, 8, 24), port);
    }

    /** Writes the sockaddr for an endpoint into sa; returns its length, or -1 when this socket cannot reach it. */
    static int encode(Endpoint e, byte[] sa, boolean v6) {
        java.util.Arrays.fill(sa, (byte) 0);
        byte[] a = e.address();
        if (!v6) {
            if (a.length != 4) return -1;
            sa[0] = (byte) Libc.AF_INET;
            sa[2] = (byte) (e.port() >>> 8);
            sa[3] = (byte) e.port();
            System.arraycopy(a, 0, sa, 4, 4);
            return 16;
        }
        sa[0] = (byte) Libc.AF_INET6;
        sa[2] = (byte) (e.port() >>> 8);
        sa[3] = (byte) e.port();
        if (a.length == 4) {
            System.arraycopy(V4_MAPPED, 0, sa, 8, 12);
            System.arraycopy(a, 0, sa, 20, 4);
        } else {
            System.arraycopy(a, 0, sa, 8, 16);
        }
        return 28;
    }

    @Override
    public void send(PacketBatch batch) {
        for (int i = 0; i < batch.count(); i++) {
            int len = encode(batch.endpoint(i), txAddr, v6);
            if (len < 0) continue;
            Libc.sendto(fd, batch.buffer(i), 0, batch.length(i), txAddr, len);  // failures drop, as UDP does
        }
    }

    @Override
    public void close() {
        synchronized (state) {
            if (closed) return;
            closed = true;
            Libc.wake(wakeFd);
            boolean interrupted = false;
            while (receiving) {  // the wake makes it return at once
                try {
                    state.wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            Libc.close(fd);
            Libc.close(wakeFd);
            if (interrupted) Thread.currentThread().interrupt();
        }
    }
}
