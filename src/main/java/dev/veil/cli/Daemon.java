package dev.veil.cli;

import dev.veil.audit.AuditLog;
import dev.veil.crypto.Aead;
import dev.veil.device.Device;
import dev.veil.device.SystemClock;
import dev.veil.linux.Account;
import dev.veil.linux.LinuxTun;
import dev.veil.linux.PrivilegeDrop;
import dev.veil.linux.ThreadPriority;
import dev.veil.linux.UdpTransport;
import dev.veil.uapi.UapiHandler;
import dev.veil.uapi.UapiServer;
import dev.veil.conn.TransportFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.util.concurrent.CountDownLatch;

/**
 * One interface served by this JVM: the TUN, the device and the UAPI socket {@code /var/run/wireguard/IFNAME.sock}.
 * It stops when the TUN is deleted, when the socket file is removed, or on {@link #stop}; {@link #close} then removes
 * the socket and the interface. {@code veil daemon} runs one, and so does {@code veil up --foreground}. With an
 * audit log, a thread {@code veil-IFNAME-audit-0} flushes its aggregated lines once a second. Started for a
 * privilege drop, it opens its transports through a {@link PrivilegeDrop}, and {@link #dropTo} later switches the
 * process to an unprivileged account (see PrivilegeDrop for what is kept and by which thread); a daemon that has
 * dropped cannot remove its socket from root's {@code /var/run/wireguard}, so it leaves it stale (no one answers;
 * {@code wg} and {@code veil down} remove it). Thread-safe.
 */
final class Daemon implements AutoCloseable {
    private final Device device;
    private final PrivilegeDrop privileges;
    private volatile PrivilegeDrop.Dropped dropped;
    private AuditLog audit;
    private Thread auditFlusher;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile UapiServer uapi;
    private volatile String why = "stopped";
    private boolean closed;

    private Daemon(Device device, PrivilegeDrop privileges) {
        this.device = device;
        this.privileges = privileges;
    }

    /** Creates the TUN {@code ifname} with the MTU, the device and the socket, and starts the device's threads. */
    static Daemon start(String ifname, int mtu) throws IOException {
        return start(ifname, mtu, null, false);
    }

    /**
     * As {@link #start(String, int)}, with an audit log of authentication events appended to the file
     * {@code auditTarget}, or written to stdout for "-"; none when null. With {@code willDrop}, the transports are
     * opened by a privileged thread, ready for {@link #dropTo}.
     */
    static Daemon start(String ifname, int mtu, String auditTarget, boolean willDrop) throws IOException {
        AuditLog audit = null;
        if (auditTarget != null) {
            try {
                audit = AuditLog.open(auditTarget, SystemClock.INSTANCE);
            } catch (IOException | java.nio.file.InvalidPathException e) {
                throw new UserError("cannot open the audit log " + auditTarget + ": " + e.getMessage());
            }
        }
        int cryptoWorkers;
        long dataSlice;
        try {
            cryptoWorkers = Device.workersFromProperty();
            dataSlice = ThreadPriority.sliceFromProperty();
        } catch (IllegalArgumentException e) {
            if (audit != null) audit.close();
            throw new UserError(e.getMessage());
        }
        LinuxTun tun;
        boolean offload = LinuxTun.offloadWanted();
        try {
            tun = LinuxTun.open(ifname, offload);
        } catch (IllegalArgumentException | IOException e) {
            if (audit != null) audit.close();
            throw new UserError(e.getMessage());
        }
        System.err.println("veil: TUN offload " + (offload ? tun.offloadNote() : "off (" + LinuxTun.OFFLOAD_PROPERTY
            + "=false)"));
        tun.setMtu(mtu);
        PrivilegeDrop privileges = willDrop ? PrivilegeDrop.start(ifname) : null;
        TransportFactory transports = willDrop ? privileges.transports(UdpTransport.factory()) : UdpTransport.factory();
        Device device;
        try {
            device = new Device(ifname, tun, transports, SystemClock.INSTANCE, new SecureRandom(), Aead.defaultBackend(),
                cryptoWorkers);
        } catch (IOException | RuntimeException e) {
            tun.close();
            if (privileges != null) privileges.close();
            if (audit != null) audit.close();
            throw e;
        }
        Daemon d = new Daemon(device, privileges);
        if (audit != null) d.startAudit(ifname, audit);
        device.setOnFailure(t -> d.stop(t.getMessage()));
        try {
            d.uapi = UapiServer.start(UapiClient.SOCKET_DIR, ifname, new UapiHandler(device, System.err::println),
                () -> d.stop("UAPI socket removed"));
        } catch (IOException e) {
            device.close();
            d.closeAudit();
            if (privileges != null) privileges.close();
            throw new UserError("cannot serve the UAPI socket for " + ifname + ": " + e.getMessage());
        }
        // A short scheduler slice for the data path while traffic is light: woken by a packet, its threads preempt a
        // JIT compilation or another process instead of waiting for its slice to end; the default slice under bulk
        // traffic (BENCHMARKS.md, "A short slice for the data path" and "An adaptive slice").
        if (dataSlice > 0) device.setDataThreadSlices(dataSlice, ThreadPriority::setCurrentSlice);
        device.start();
        return d;
    }

    /**
     * Starts the JIT warm-up in the background ({@link WarmUp#startInBackground}). The caller chooses the moment:
     * {@code veil daemon} at once (wg or wg-quick configure it afterwards, and the sooner the data path is compiled
     * the better), {@code veil up} once the interface is set up, so that the warm-up's compilations do not queue
     * before those of the steps in between (started with the daemon, it made `veil up` to the first handshake
     * 0.06-0.2 s longer in startup.sh: BENCHMARKS.md).
     */
    void startWarmUp() {
        WarmUp.startInBackground(Aead.defaultBackend(), device::batchesRead);
    }

    private void startAudit(String ifname, AuditLog log) {
        audit = log;
        device.configure(node -> { node.setEvents(log); return null; });
        auditFlusher = Thread.ofPlatform().name("veil-" + ifname + "-audit-0").daemon().start(() -> {
            try {
                while (true) {
                    Thread.sleep(1000);
                    log.flush(SystemClock.INSTANCE.nanoTime());
                }
            } catch (InterruptedException e) {
                // closing
            }
        });
    }

    /** Stops the flusher and writes what the audit log still aggregates. */
    private void closeAudit() {
        if (audit == null) return;
        auditFlusher.interrupt();
        try {
            auditFlusher.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        audit.close();
    }

    /**
     * Switches the whole process to {@code account}, keeping CAP_NET_ADMIN and CAP_NET_BIND_SERVICE on the thread
     * that opens transports only; needs a daemon started with {@code willDrop}. A failure is a UserError, and the
     * caller should stop: the process may be half-dropped.
     */
    PrivilegeDrop.Dropped dropTo(Account account) {
        if (privileges == null) throw new IllegalStateException("not started for a privilege drop");
        try {
            dropped = privileges.drop(account);
            return dropped;
        } catch (IOException e) {
            throw new UserError("cannot drop privileges to " + account.user() + ": " + e.getMessage());
        }
    }

    /** The privilege drop done, or null. */
    PrivilegeDrop.Dropped dropped() {
        return dropped;
    }

    /** The UDP port the device listens on. */
    int listenPort() {
        return device.listenPort();
    }

    /** Ends {@link #await}; the first reason given is the one reported. */
    void stop(String reason) {
        synchronized (this) {
            if (stopped.getCount() == 0) return;
            why = reason;
        }
        stopped.countDown();
    }

    /** Waits until the TUN is deleted, the socket removed or {@link #stop} called; returns why. */
    String await() throws InterruptedException {
        stopped.await();
        return why;
    }

    /** Stops serving: removes the socket, closes the device and so deletes the TUN. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        uapi.close();
        if (dropped != null && Files.exists(uapi.socketPath())) {
            System.err.println("veil: left " + uapi.socketPath() + " behind, stale (user " + dropped.account().user()
                + " may not remove it from root's directory; wg and veil down remove it)");
        }
        device.close();
        closeAudit();
        if (privileges != null) privileges.close();
    }
}
