package dev.veil.linux;

import dev.veil.buffer.PacketBatch;
import dev.veil.offload.Coalescer;
import dev.veil.offload.Segmenter;
import dev.veil.offload.VirtioNetHdr;
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
 * <p>With offloads ({@link #open(String, boolean)}), the TUN is opened with IFF_VNET_HDR and TUNSETOFFLOAD asks for
 * checksum offload, TSO4/6 and USO4/6, then without USO, and when the kernel refuses both the device falls back to
 * plain mode ({@link #offloads()} tells which, {@link #offloadNote()} why). The kernel then hands over super-packets
 * of up to 64 KB: {@link #read} reads each into a scratch buffer and fills the batch with the wire-sized packets a
 * {@link Segmenter} cuts from it (a super-packet larger than what is left of the batch continues in the next read).
 * {@link #write} plans a {@link Coalescer} over the batch and writes each merged or plain packet with its vnet
 * header. Either way the batches hold plain IP packets, as in plain mode. The batch given to write is not changed.
 *
 * <p>One thread reads and one writes; {@link #close()} may come from any thread.
 */
public final class LinuxTun implements TunDevice {
    static final long TUNSETIFF = 0x400454caL, TUNGETIFF = 0x800454d2L;
    static final long SIOCGIFMTU = 0x8921, SIOCSIFMTU = 0x8922, SIOCGIFFLAGS = 0x8913, SIOCSIFFLAGS = 0x8914;
    static final short IFF_TUN = 0x0001, IFF_NO_PI = 0x1000, IFF_VNET_HDR = 0x4000;
    static final long TUNSETOFFLOAD = 0x400454d0L;
    static final int TUN_F_CSUM = 0x01, TUN_F_TSO4 = 0x02, TUN_F_TSO6 = 0x04, TUN_F_USO4 = 0x20, TUN_F_USO6 = 0x40;
    static final int TCP_OFFLOADS = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6, UDP_OFFLOADS = TUN_F_USO4 | TUN_F_USO6;
    /** The system property (and, as VEIL_TUN_OFFLOAD, the environment variable) that turns offloads off: "false". */
    public static final String OFFLOAD_PROPERTY = "veil.tun.offload";
    /** A vnet header and the longest IPv6 packet (64 KB payload), with room to spare. */
    private static final int READ_BUFFER = 1 << 17;
    static final short IFF_UP = 0x1;
    /** Longest interface name (IFNAMSIZ - 1). */
    public static final int MAX_NAME = 15;

    /** What the kernel agreed to offload. */
    public enum Offloads {
        /** Plain mode: one IP packet per read and write, no vnet header. */
        NONE,
        /** Checksums, TSO4 and TSO6: TCP super-packets both ways. */
        TCP,
        /** As TCP, plus USO4 and USO6: UDP super-packets both ways. */
        TCP_UDP
    }

    /**
     * Counters of the offload paths (in plain mode only readDrops: packets too long for the batch). Read from another
     * thread they may lag a little.
     */
    public record OffloadCounters(long superPacketsRead, long packetsRead, long largestRead, long readDrops,
                                  long superPacketsWritten, long packetsMerged, long writeErrors) {}

    private final String name;
    private final WakeableFd tun;
    private final Offloads offloads;
    private final String offloadNote;
    private final Segmenter segmenter;
    private final Coalescer coalescer;
    private final byte[] readBuffer;
    private byte[] writeBuffer;
    private long largestRead;
    /** Plain mode: packets longer than the batch's buffers, dropped. */
    private long plainTooLong;
    private long superPacketsWritten;
    private long writeErrors;
    /** The MTU when no interface stands behind the descriptor ({@link EmulatedTun}), else 0: ask the kernel. */
    private final int fixedMtu;

    private LinuxTun(String name, WakeableFd tun, Offloads offloads, String offloadNote) {
        this(name, tun, offloads, offloadNote, 0);
    }

    /** For {@link EmulatedTun}: offload mode over a descriptor that is not a TUN, with a fixed MTU. */
    LinuxTun(String name, WakeableFd tun, int fixedMtu) {
        this(name, tun, Offloads.TCP_UDP, "emulated", fixedMtu);
    }

    private LinuxTun(String name, WakeableFd tun, Offloads offloads, String offloadNote, int fixedMtu) {
        this.fixedMtu = fixedMtu;
        this.name = name;
        this.tun = tun;
        this.offloads = offloads;
        this.offloadNote = offloadNote;
        boolean on = offloads != Offloads.NONE;
        this.segmenter = on ? new Segmenter() : null;
        this.coalescer = on ? new Coalescer() : null;
        this.readBuffer = on ? new byte[READ_BUFFER] : null;
        this.writeBuffer = on ? new byte[Coalescer.MAX_OUTPUT] : null;
    }

    /** Creates (or attaches to) the TUN interface {@code name} in plain mode. */
    public static LinuxTun open(String name) throws IOException {
        return open(name, false);
    }

    /**
     * Creates (or attaches to) the TUN interface {@code name}; with {@code offload}, asks for the offloads and falls
     * back as the class comment says.
     */
    public static LinuxTun open(String name, boolean offload) throws IOException {
        checkName(name);
        if (offload) {
            int fd = create(name, IFF_TUN | IFF_NO_PI | IFF_VNET_HDR);
            String refused;
            try {
                Libc.ioctl(fd, TUNSETOFFLOAD, TCP_OFFLOADS | UDP_OFFLOADS);
                return new LinuxTun(actualName(fd, name), new WakeableFd(fd), Offloads.TCP_UDP,
                    "csum, tso4, tso6, uso4, uso6");
            } catch (Libc.Errno e) {
                refused = e.getMessage();
            }
            try {
                Libc.ioctl(fd, TUNSETOFFLOAD, TCP_OFFLOADS);
                return new LinuxTun(actualName(fd, name), new WakeableFd(fd), Offloads.TCP,
                    "csum, tso4, tso6 (USO refused: " + refused + ")");
            } catch (Libc.Errno e) {
                refused = e.getMessage();
                Libc.close(fd);
            }
            int plain = create(name, IFF_TUN | IFF_NO_PI);
            return new LinuxTun(actualName(plain, name), new WakeableFd(plain), Offloads.NONE,
                "off (the kernel refused TUNSETOFFLOAD: " + refused + ")");
        }
        int fd = create(name, IFF_TUN | IFF_NO_PI);
        return new LinuxTun(actualName(fd, name), new WakeableFd(fd), Offloads.NONE, "off");
    }

    /** Opens /dev/net/tun and attaches it to the interface with TUNSETIFF; returns the descriptor. */
    private static int create(String name, int flags) throws IOException {
        int fd = Libc.open("/dev/net/tun", Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ifr = ifreq(a, name);
            ifr.set(ValueLayout.JAVA_SHORT, 16, (short) flags);
            Libc.ioctl(fd, TUNSETIFF, ifr);
            return fd;
        } catch (Libc.Errno e) {
            Libc.close(fd);
            throw new IOException("cannot create TUN interface " + name + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            Libc.close(fd);
            throw e;
        }
    }

    /** The name the kernel gave the interface (TUNGETIFF), or the requested one when it cannot tell. */
    private static String actualName(int fd, String requested) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ifr = a.allocate(40);
            Libc.ioctl(fd, TUNGETIFF, ifr);
            return ifr.getString(0);
        } catch (Libc.Errno e) {
            return requested;
        }
    }

    /**
     * Whether the daemon asks for offloads: yes unless the system property {@value #OFFLOAD_PROPERTY} or the
     * environment variable VEIL_TUN_OFFLOAD is "false".
     */
    public static boolean offloadWanted() {
        String p = System.getProperty(OFFLOAD_PROPERTY);
        if (p == null) p = System.getenv("VEIL_TUN_OFFLOAD");
        return p == null || !p.strip().equalsIgnoreCase("false");
    }

    /** What the kernel agreed to offload. */
    public Offloads offloads() {
        return offloads;
    }

    /** One line for the log: the offloads in use, or why none are. */
    public String offloadNote() {
        return offloadNote;
    }

    /** The offload counters so far. */
    public OffloadCounters offloadCounters() {
        if (segmenter == null) return new OffloadCounters(0, 0, 0, plainTooLong, 0, 0, 0);
        return new OffloadCounters(segmenter.superPackets(), segmenter.packets(), largestRead, segmenter.dropped(),
            superPacketsWritten, coalescer.merged(), writeErrors);
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
        if (fixedMtu > 0) return fixedMtu;
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

    /**
     * The MTU of the network interface {@code name} in this process's network namespace, asked of the kernel directly
     * (SIOCGIFMTU; `veil up` used to start an `ip link show` process for it, ~10 ms where starting processes is slow),
     * or -1 when there is no such interface. Throws when the kernel could not tell.
     */
    public static int interfaceMtu(String name) throws IOException {
        if (name.isEmpty() || name.length() > 15 || !name.chars().allMatch(c -> c > ' ' && c < 0x7f)) return -1;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ifr = ifreq(a, name);
            control(SIOCGIFMTU, ifr);
            return ifr.get(ValueLayout.JAVA_INT, 16);
        } catch (Libc.Errno e) {
            if (e.errno == Libc.ENODEV) return -1;
            throw e;
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
        if (segmenter != null) return drainSegmented(batch);
        while (!batch.isFull()) {
            int i = batch.count();
            byte[] buf = batch.buffer(i);
            long r = Libc.read(tun.fd, buf, 0, buf.length);
            if (r < 0) {
                int e = (int) -r;
                if (e == Libc.EAGAIN || e == Libc.EINTR) break;
                throw new IOException("TUN interface " + name + ": read: " + Libc.strerror(e));
            }
            if (r == 0) throw endOfFile();
            if (r > buf.length) {  // without IFF_NO_PI's room, the kernel cut it and returned its full length
                plainTooLong++;
                continue;
            }
            batch.set(i, (int) r, null);
            batch.setCount(i + 1);
        }
        return batch.count();
    }

    /**
     * A TUN never reads 0 bytes (there are no empty packets); a socket pair's end does once the other end is closed
     * ({@link EmulatedTun}), and reading on would spin.
     */
    private IOException endOfFile() {
        return new IOException("TUN interface " + name + " is gone (end of file)");
    }

    /** Offload mode: segments what is left of the last super-packet, then reads and segments more. */
    private int drainSegmented(PacketBatch batch) throws IOException {
        while (!batch.isFull()) {
            if (segmenter.hasNext()) {
                segmenter.drainInto(batch);
                continue;
            }
            long r = Libc.read(tun.fd, readBuffer, 0, readBuffer.length);
            if (r < 0) {
                int e = (int) -r;
                if (e == Libc.EAGAIN || e == Libc.EINTR) break;
                throw new IOException("TUN interface " + name + ": read: " + Libc.strerror(e));
            }
            if (r == 0) throw endOfFile();
            if (r > largestRead) largestRead = r;
            segmenter.load(readBuffer, 0, (int) r);  // a malformed one is dropped and counted
        }
        return batch.count();
    }

    @Override
    public void write(PacketBatch batch) throws IOException {
        if (tun.isClosed()) return;
        if (coalescer != null) {
            writeCoalesced(batch);
            return;
        }
        for (int i = 0; i < batch.count(); i++) {
            writeOne(batch.buffer(i), batch.length(i));
        }
    }

    /** Offload mode: merges what can be merged and writes each result behind its vnet header. */
    private void writeCoalesced(PacketBatch batch) throws IOException {
        if (writeBuffer.length < VirtioNetHdr.LENGTH + batch.bufferSize()) {
            writeBuffer = new byte[Math.max(Coalescer.MAX_OUTPUT, VirtioNetHdr.LENGTH + batch.bufferSize())];
        }
        coalescer.plan(batch, offloads == Offloads.TCP_UDP);
        for (int k = 0; k < coalescer.outputs(); k++) {
            int len = coalescer.emit(k, writeBuffer, 0);
            boolean merged = coalescer.members(k) > 1;
            if (!writeOne(writeBuffer, len) && merged) writeErrors++;
            if (merged) superPacketsWritten++;
        }
    }

    /** Writes one packet; false when the kernel refused it (it is lost, as the kernel would lose it). */
    private boolean writeOne(byte[] buf, int len) throws IOException {
        long r = Libc.write(tun.fd, buf, 0, len);
        if (r >= 0) return true;
        int e = (int) -r;
        if (e == Libc.EBADFD || e == Libc.ENODEV || e == 9 /* EBADF */) {
            throw new IOException("TUN interface " + name + " is gone");
        }
        // EAGAIN, EINTR, EINVAL (not an IP packet), ENOBUFS...: this packet is lost.
        return false;
    }

    /** Stops the device: a blocked read returns -1; the descriptors close once the reader has left. */
    @Override
    public void close() {
        tun.close();
    }
}
