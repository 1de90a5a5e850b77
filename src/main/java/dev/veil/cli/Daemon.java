package dev.veil.cli;

import dev.veil.audit.AuditLog;
import dev.veil.crypto.Aead;
import dev.veil.device.Device;
import dev.veil.device.SystemClock;
import dev.veil.linux.LinuxTun;
import dev.veil.linux.UdpTransport;
import dev.veil.uapi.UapiHandler;
import dev.veil.uapi.UapiServer;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.concurrent.CountDownLatch;

/**
 * One interface served by this JVM: the TUN, the device and the UAPI socket {@code /var/run/wireguard/IFNAME.sock}.
 * It stops when the TUN is deleted, when the socket file is removed, or on {@link #stop}; {@link #close} then removes
 * the socket and the interface. {@code veil daemon} runs one, and so does {@code veil up --foreground}. With an
 * audit log, a thread {@code veil-IFNAME-audit-0} flushes its aggregated lines once a second. Thread-safe.
 */
final class Daemon implements AutoCloseable {
    private final Device device;
    private AuditLog audit;
    private Thread auditFlusher;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile UapiServer uapi;
    private volatile String why = "stopped";
    private boolean closed;

    private Daemon(Device device) {
        this.device = device;
    }

    /** Creates the TUN {@code ifname} with the MTU, the device and the socket, and starts the device's threads. */
    static Daemon start(String ifname, int mtu) throws IOException {
        return start(ifname, mtu, null);
    }

    /**
     * As {@link #start(String, int)}, with an audit log of authentication events appended to the file
     * {@code auditTarget}, or written to stdout for "-"; none when null.
     */
    static Daemon start(String ifname, int mtu, String auditTarget) throws IOException {
        AuditLog audit = null;
        if (auditTarget != null) {
            try {
                audit = AuditLog.open(auditTarget, SystemClock.INSTANCE);
            } catch (IOException | java.nio.file.InvalidPathException e) {
                throw new UserError("cannot open the audit log " + auditTarget + ": " + e.getMessage());
            }
        }
        int cryptoWorkers;
        try {
            cryptoWorkers = Device.workersFromProperty();
        } catch (IllegalArgumentException e) {
            if (audit != null) audit.close();
            throw new UserError(e.getMessage());
        }
        LinuxTun tun;
        try {
            tun = LinuxTun.open(ifname);
        } catch (IllegalArgumentException | IOException e) {
            if (audit != null) audit.close();
            throw new UserError(e.getMessage());
        }
        tun.setMtu(mtu);
        Device device = new Device(ifname, tun, UdpTransport.factory(), SystemClock.INSTANCE, new SecureRandom(),
            Aead.defaultBackend(), cryptoWorkers);
        Daemon d = new Daemon(device);
        if (audit != null) d.startAudit(ifname, audit);
        device.setOnFailure(t -> d.stop(t.getMessage()));
        try {
            d.uapi = UapiServer.start(UapiClient.SOCKET_DIR, ifname, new UapiHandler(device, System.err::println),
                () -> d.stop("UAPI socket removed"));
        } catch (IOException e) {
            device.close();
            d.closeAudit();
            throw new UserError("cannot serve the UAPI socket for " + ifname + ": " + e.getMessage());
        }
        device.start();
        return d;
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
        device.close();
        closeAudit();
    }
}
