package dev.veil.linux;

import dev.veil.buffer.PacketBatch;
import dev.veil.tun.TunDevice;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * A Linux TUN interface opened through {@code /dev/net/tun} with the FFM API: TUNSETIFF with IFF_TUN | IFF_NO_PI,
 * MTU and link state through the SIOC ioctls. Reads wait in poll(2) on the TUN and an eventfd, so {@link #close()}
 * wakes a blocked reader; after the first packet a read drains what is ready, up to the batch size. When the
 * interface is deleted, reads fail and the device stops.
 *
 * <p>One thread reads and one writes; {@link #close()} may come from any thread.
 */
public final class LinuxTun implements TunDevice {
    static final long TUNSETIFF = 0x400454caL;
    static final long SIOCGIFMTU = 0x8921, SIOCSIFMTU = 0x8922, SIOCGIFFLAGS = 0x8913, SIOCSIFFLAGS = 0x8914;
    static final short IFF_TUN = 0x0001, IFF_NO_PI = 0x1000;
    static final short IFF_UP = 0x1;
    /** Longest interface name (IFNAMSIZ - 1). */
    public static final int MAX_NAME = 15;

    private final String name;
    private final WakeableFd tun;

    private LinuxTun(String name, WakeableFd tun) {
        this.name = name;
        this.tun = tun;
    }

    /** Creates (or attaches to) the TUN interface {@code name}. */
    public static LinuxTun open(String name) throws IOException {
        checkName(name);
        int fd = Libc.open("/dev/net/tun", Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ifr = ifreq(a, name);
            ifr.set(ValueLayout.JAVA_SHORT, 16, (short) (IFF_TUN | IFF_NO_PI));
            Libc.ioctl(fd, TUNSETIFF, ifr);
            String actual = ifr.getString(0);
            return new LinuxTun(actual, new WakeableFd(fd));
        } catch (Libc.Errno e) {
            Libc.close(fd);
            throw new IOException("cannot create TUN interface " + name + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            Libc.close(fd);
            throw e;
        }
    }

    static void checkName(String name) {
        if (name.isEmpty() || name.length() > MAX_NAME || !name.matches("[A-Za-z0-9_=+.-]+")) {
            throw new IllegalArgumentException("invalid interface name '" + name + "' (1 to 15 of A-Z a-z 0-9 _ = + . -)");
        }
    }

    private static MemorySegment ifreq(Arena a, String name) {
        MemorySegment ifr = a.allocate(40);
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        MemorySegment.copy(n, 0, ifr, ValueLayout.JAVA_BYTE, 0, n.length);
        return ifr;
    }

    @Override
    public String name() { return name; }

    @Override
    public int mtu() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ifr = ifreq(a, name);
            control(SIOCGIFMTU, ifr);
            return ifr.get(ValueLayout.JAVA_INT, 16);
        } catch (IOException e) {
            return 1420;
        }
    }

    /** Sets the interface MTU. */
    public void setMtu(int mtu) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ifr = ifreq(a, name);
            ifr.set(ValueLayout.JAVA_INT, 16, mtu);
            control(SIOCSIFMTU, ifr);
        }
    }

    /** Brings the link up or down. */
    public void setUp(boolean up) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ifr = ifreq(a, name);
            control(SIOCGIFFLAGS, ifr);
            short flags = ifr.get(ValueLayout.JAVA_SHORT, 16);
            flags = (short) (up ? flags | IFF_UP : flags & ~IFF_UP);
            ifr.set(ValueLayout.JAVA_SHORT, 16, flags);
            control(SIOCSIFFLAGS, ifr);
        }
    }

    /** Interface ioctls go through an ordinary socket. */
    private static void control(long request, MemorySegment ifr) throws IOException {
        int s = Libc.socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        try {
            Libc.ioctl(s, request, ifr);
        } finally {
            Libc.close(s);
        }
    }

    @Override
    public int read(PacketBatch batch) throws IOException {
        batch.clear();
        if (!tun.enter()) return -1;
        try {
            while (!tun.isClosed()) {
                int n = drain(batch);
                if (n > 0) return n;
                int revents = tun.awaitReadable();
                if (tun.isClosed()) break;
                if ((revents & (Libc.POLLERR | Libc.POLLHUP | Libc.POLLNVAL)) != 0 && (revents & Libc.POLLIN) == 0) {
                    throw new IOException("TUN interface " + name + " is gone");
                }
            }
            return -1;
        } finally {
            tun.leave();
        }
    }

    /** Reads what is ready without blocking. */
    private int drain(PacketBatch batch) throws IOException {
        while (!batch.isFull()) {
            int i = batch.count();
            byte[] buf = batch.buffer(i);
            long r = Libc.read(tun.fd, buf, 0, buf.length);
            if (r < 0) {
                int e = (int) -r;
                if (e == Libc.EAGAIN || e == Libc.EINTR) break;
                throw new IOException("TUN interface " + name + ": read: " + Libc.strerror(e));
            }
            batch.set(i, (int) r, null);
            batch.setCount(i + 1);
        }
        return batch.count();
    }

    @Override
    public void write(PacketBatch batch) throws IOException {
        if (tun.isClosed()) return;
        for (int i = 0; i < batch.count(); i++) {
            long r = Libc.write(tun.fd, batch.buffer(i), 0, batch.length(i));
            if (r < 0) {
                int e = (int) -r;
                if (e == Libc.EAGAIN || e == Libc.EINTR || e == 22 /* EINVAL: not an IP packet */) continue;
                if (e == Libc.EBADFD || e == Libc.ENODEV || e == 9 /* EBADF */) {
                    throw new IOException("TUN interface " + name + " is gone");
                }
                // Other errors (e.g. ENOBUFS) lose this packet, as the kernel would.
            }
        }
    }

    /** Stops the device: a blocked read returns -1; the descriptors close once the reader has left. */
    @Override
    public void close() {
        tun.close();
    }
}
