package dev.veil.linux;

import java.io.IOException;

/**
 * A {@link LinuxTun} in offload mode whose kernel is played from Java: the TUN reads and writes one end of an
 * AF_UNIX SOCK_SEQPACKET socket pair, and this class owns the other end, where frames go in and come out as the
 * kernel exchanges them with a TUN opened with IFF_VNET_HDR (a virtio-net header, then the IP packet; one frame per
 * message). The TUN's own read, segmentation, coalescing and write code runs on real system calls, and no network
 * interface is created: the warm-up drives the data path this way. Frames are written and read by one thread at a
 * time each; {@link #close()} is thread-safe and closes both ends.
 */
public final class EmulatedTun implements AutoCloseable {
    private final LinuxTun tun;
    private final WakeableFd kernel;

    private EmulatedTun(LinuxTun tun, WakeableFd kernel) {
        this.tun = tun;
        this.kernel = kernel;
    }

    /** Makes the pair; the TUN reports {@code mtu} and the offloads csum, TSO and USO. */
    public static EmulatedTun open(String name, int mtu) throws IOException {
        int[] fds = Libc.socketpair(Libc.AF_UNIX, Libc.SOCK_SEQPACKET | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC);
        WakeableFd tunSide;
        try {
            tunSide = new WakeableFd(fds[0]);
        } catch (Libc.Errno e) {
            Libc.close(fds[1]);
            throw e;
        }
        WakeableFd kernelSide;
        try {
            kernelSide = new WakeableFd(fds[1]);
        } catch (Libc.Errno e) {
            tunSide.close();
            throw e;
        }
        return new EmulatedTun(new LinuxTun(name, tunSide, mtu), kernelSide);
    }

    /** The TUN device, for a {@code Device}. */
    public LinuxTun tun() {
        return tun;
    }

    /**
     * Hands one frame to the TUN's reader, as the kernel would; false when it was not taken (the pair's queue is
     * full, or closed).
     */
    public boolean inject(byte[] frame, int off, int len) {
        if (!kernel.enter()) return false;
        try {
            return Libc.write(kernel.fd, frame, off, len) == len;
        } finally {
            kernel.leave();
        }
    }

    /**
     * The next frame the TUN wrote, into {@code buf} (it must hold the largest, 64 KB and a header): its length, 0 when
     * none came within {@code timeoutMs}, -1 once closed.
     */
    public int receive(byte[] buf, int timeoutMs) throws IOException {
        if (!kernel.enter()) return -1;
        try {
            long r = Libc.read(kernel.fd, buf, 0, buf.length);
            if (r < 0 && (int) -r == Libc.EAGAIN) {
                kernel.awaitReadable(timeoutMs);
                if (kernel.isClosed()) return -1;
                r = Libc.read(kernel.fd, buf, 0, buf.length);
            }
            if (r > 0) return (int) r;
            if (r == 0) return -1;  // the TUN side is closed
            int e = (int) -r;
            if (e == Libc.EAGAIN || e == Libc.EINTR) return 0;
            throw new IOException("emulated TUN " + tun.name() + ": read: " + Libc.strerror(e));
        } finally {
            kernel.leave();
        }
    }

    @Override
    public void close() {
        tun.close();
        kernel.close();
    }

    /** Closes only the kernel's end, as if the interface went away under the TUN (for tests). */
    void closeKernelSide() {
        kernel.close();
    }
}
