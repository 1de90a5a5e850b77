package dev.veil.device;

import dev.veil.buffer.PacketBatch;
import dev.veil.conn.DatagramTransport;
import dev.veil.conn.TransportFactory;
import dev.veil.core.Actions;
import dev.veil.core.Clock;
import dev.veil.core.Endpoint;
import dev.veil.core.Node;
import dev.veil.core.Peer;
import dev.veil.core.Protocol;
import dev.veil.core.Result;
import dev.veil.crypto.Aead;
import dev.veil.tun.TunDevice;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One Veil interface: it wires a {@link TunDevice} and a {@link DatagramTransport} to the protocol {@link Node}.
 *
 * <p>Flow: packets read from the TUN are routed by the node to a peer and sealed; datagrams from the transport are
 * opened and delivered to the TUN. Handshake messages wait in a bounded queue (as in wireguard-go), whose depth
 * drives the node's under-load mode, as does a budget of Diffie-Hellmans a second; they are processed a few at a
 * time between other work. A timer thread runs the node's timers at their deadlines.
 *
 * <p>Threads: {@code veil-<iface>-tun-0} reads the TUN, {@code veil-<iface>-net-0} reads the transport and
 * {@code veil-<iface>-timer-0} runs timers and queued handshakes. All of them take the device lock to touch the node
 * and to write output, so per-peer ordering holds. Tests can instead call {@link #onTunPackets},
 * {@link #onDatagrams} and {@link #onTimers} themselves with a fake clock and no threads.
 */
public final class Device implements AutoCloseable {
    /** Batch size for reads and writes. */
    static final int BATCH = 64;
    /** Handshake messages processed per round, so that a flood cannot starve data. */
    static final int HANDSHAKES_PER_ROUND = 32;
    /**
     * The same while not under load, when each one may cost a Diffie-Hellman under the device lock: a few per round
     * keep the lock free for data, and let a flood's backlog reach the under-load threshold quickly.
     */
    static final int HANDSHAKES_PER_ROUND_NOT_UNDER_LOAD = 4;
    /**
     * Handshake messages a second that may cost a Diffie-Hellman before the device counts as under load, whatever its
     * backlog. The DH runs under the device lock on the data path, so a flood the DH could keep up with (and whose
     * backlog therefore never reaches the threshold) would otherwise take the data path's time.
     */
    static final int DH_HANDSHAKES_PER_SECOND = 256;

    private final String name;
    private final TunDevice tun;
    private final TransportFactory transports;
    private volatile DatagramTransport transport;
    private int fwmark;
    private final Clock clock;
    private final Node node;
    private final Object lock = new Object();
    private final Outbox outbox;
    private final ArrayDeque<Queued> handshakeQueue = new ArrayDeque<>();
    private final List<Thread> threads = new ArrayList<>();
    private long handshakeQueueDrops;
    private long dhWindowStart;
    private int dhInWindow;
    private volatile boolean closed;
    private volatile Throwable failure;
    private volatile Consumer<Throwable> onFailure = t -> {};

    private record Queued(byte[] data, Endpoint from) {}

    /**
     * A device on the given TUN, with its transport opened by the factory on a free port (see
     * {@link #setListenPort}).
     */
    public Device(String name, TunDevice tun, TransportFactory transports, Clock clock, SecureRandom random, Aead aead)
            throws IOException {
        this.name = name;
        this.tun = tun;
        this.transports = transports;
        this.transport = transports.open(0, 0);
        this.clock = clock;
        this.node = new Node(clock, random, aead);
        this.node.setMtu(tun.mtu());
        this.outbox = new Outbox(0xffff + Protocol.TRANSPORT_OVERHEAD + Protocol.PADDING_MULTIPLE);
    }

    public String name() { return name; }

    /** The port the transport listens on. */
    public int listenPort() { return transport.localPort(); }

    /** The firewall mark of outgoing datagrams (0 for none). */
    public int fwmark() {
        synchronized (lock) { return fwmark; }
    }

    /** Rebinds the transport to another port (0 picks a free one); nothing changes when it is the same. */
    public void setListenPort(int port) throws IOException {
        synchronized (lock) {
            if (port != 0 && port == transport.localPort()) return;
            rebindLocked(port, fwmark);
        }
    }

    /** Sets the firewall mark of outgoing datagrams, reopening the transport on the same port. */
    public void setFwmark(int mark) throws IOException {
        synchronized (lock) {
            if (mark == fwmark) return;
            rebindLocked(transport.localPort(), mark);
            fwmark = mark;
        }
    }

    private void rebindLocked(int port, int mark) throws IOException {
        DatagramTransport old = transport;
        old.close();  // frees the port first; the network thread sees the swap and moves to the new transport
        try {
            transport = transports.open(port, mark);
        } catch (IOException | RuntimeException e) {
            transport = transports.open(old.localPort(), fwmark);  // keep serving on the old port
            throw e;
        }
    }

    /** Runs a change against the node under the device lock, then flushes whatever it sent. */
    public <T> T configure(java.util.function.Function<Node, T> change) {
        synchronized (lock) {
            try {
                return change.apply(node);
            } finally {
                outbox.flush();
                lock.notifyAll();
            }
        }
    }

    /** Runs a change that needs to send (e.g. persistent keepalive, an explicit handshake) under the device lock. */
    public void act(java.util.function.BiConsumer<Node, Actions> change) {
        synchronized (lock) {
            change.accept(node, outbox);
            outbox.flush();
            lock.notifyAll();
        }
    }

    /** Reads node state under the lock. */
    public void inspect(Consumer<Node> reader) {
        synchronized (lock) {
            reader.accept(node);
        }
    }

    // ---- events -------------------------------------------------------------------------------------------------

    /** Packets the host sent into the tunnel. */
    public void onTunPackets(PacketBatch in) {
        synchronized (lock) {
            for (int i = 0; i < in.count(); i++) node.send(in.buffer(i), 0, in.length(i), outbox);
            outbox.flush();
            lock.notifyAll();
        }
    }

    /** Datagrams from the network. */
    public void onDatagrams(PacketBatch in) {
        synchronized (lock) {
            for (int i = 0; i < in.count(); i++) {
                byte[] b = in.buffer(i);
                int len = in.length(i);
                int type = len > 0 ? b[0] : 0;
                if (type == Protocol.MESSAGE_INITIATION || type == Protocol.MESSAGE_RESPONSE) {
                    if (handshakeQueue.size() >= Node.HANDSHAKE_QUEUE_SIZE) {
                        handshakeQueueDrops++;
                    } else {
                        handshakeQueue.addLast(new Queued(java.util.Arrays.copyOf(b, len), in.endpoint(i)));
                    }
                } else {
                    node.receive(b, 0, len, in.endpoint(i), outbox);
                }
            }
            processHandshakesLocked();
            outbox.flush();
            lock.notifyAll();
        }
    }

    /** Runs due timers and queued handshakes. */
    public void onTimers() {
        synchronized (lock) {
            processHandshakesLocked();
            node.tick(outbox);
            outbox.flush();
        }
    }

    private void processHandshakesLocked() {
        long now = clock.nanoTime();
        if (now - dhWindowStart >= TimeUnit.SECONDS.toNanos(1)) {
            dhWindowStart = now;
            dhInWindow = 0;
        }
        int backlog = handshakeQueue.size();
        // Over the DH budget, the node sees at least the under-load threshold, as if the backlog had built up.
        if (dhInWindow >= DH_HANDSHAKES_PER_SECOND) backlog = Math.max(backlog, Node.HANDSHAKE_QUEUE_SIZE / 8);
        node.observeHandshakeBacklog(backlog);
        int round = node.underLoad() ? HANDSHAKES_PER_ROUND : HANDSHAKES_PER_ROUND_NOT_UNDER_LOAD;
        for (int i = 0; i < round && !handshakeQueue.isEmpty(); i++) {
            Queued q = handshakeQueue.pollFirst();
            if (costsDiffieHellman(node.receive(q.data, 0, q.data.length, q.from, outbox))) dhInWindow++;
        }
    }

    /** Whether a handshake message with this result got as far as a Diffie-Hellman (past mac1, no cookie asked). */
    private static boolean costsDiffieHellman(Result r) {
        return !(r == Result.Ok.COOKIE_SENT || r == Result.Dropped.BAD_MAC1 || r == Result.Dropped.MALFORMED
            || r == Result.Dropped.RATE_LIMITED || r == Result.Dropped.NO_PRIVATE_KEY
            || r == Result.Dropped.UNKNOWN_INDEX);
    }

    /** Handshake messages dropped because the queue was full. */
    public long handshakeQueueDrops() {
        synchronized (lock) { return handshakeQueueDrops; }
    }

    public int handshakeBacklog() {
        synchronized (lock) { return handshakeQueue.size(); }
    }

    // ---- threads ------------------------------------------------------------------------------------------------

    /** Starts the TUN, network and timer threads. */
    public void start() {
        threads.add(Thread.ofPlatform().name("veil-" + name + "-tun-0").daemon().start(this::tunLoop));
        threads.add(Thread.ofPlatform().name("veil-" + name + "-net-0").daemon().start(this::netLoop));
        threads.add(Thread.ofPlatform().name("veil-" + name + "-timer-0").daemon().start(this::timerLoop));
    }

    private void tunLoop() {
        PacketBatch in = new PacketBatch(BATCH, 65536);
        try {
            while (!closed && tun.read(in) > 0) onTunPackets(in);
        } catch (IOException | RuntimeException e) {
            fail(e);
        }
    }

    private void netLoop() {
        PacketBatch in = new PacketBatch(BATCH, 65536);
        try {
            while (!closed) {
                DatagramTransport t = transport;
                int n = t.receive(in);
                if (n > 0) {
                    onDatagrams(in);
                } else if (n < 0 && t == transport) {
                    waitForRebind(t);
                }
            }
        } catch (IOException | RuntimeException e) {
            fail(e);
        }
    }

    /** A closed transport is either being replaced (wait for the new one) or the device is closing. */
    private void waitForRebind(DatagramTransport closedOne) {
        synchronized (lock) {
            // rebindLocked swaps the transport while holding the lock, so after taking it the swap is done.
            if (transport == closedOne && !closed) {
                fail(new IOException("the transport closed"));
            }
        }
    }

    private void timerLoop() {
        long mtuCheckedAt = clock.nanoTime();
        try {
            while (!closed) {
                if (clock.nanoTime() - mtuCheckedAt >= TimeUnit.SECONDS.toNanos(1)) {
                    mtuCheckedAt = clock.nanoTime();
                    int mtu = tun.mtu();  // the operator may change it (ip link set mtu); padding follows it
                    synchronized (lock) {
                        node.setMtu(mtu);
                    }
                }
                synchronized (lock) {
                    long wait = handshakeQueue.isEmpty() ? node.nextDeadline() - clock.nanoTime() : 0;
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.timedWait(lock, Math.min(wait, TimeUnit.SECONDS.toNanos(1)));
                        continue;
                    }
                }
                onTimers();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            fail(e);
        }
    }

    private void fail(Throwable t) {
        if (closed) return;
        failure = t;
        close();
        onFailure.accept(t);
    }

    /** Called once, on the failing thread, when an I/O error stops the device (e.g. its TUN was deleted). */
    public void setOnFailure(Consumer<Throwable> callback) {
        onFailure = callback;
    }

    /** The error that stopped the device, or null. */
    public Throwable failure() { return failure; }

    public boolean isClosed() { return closed; }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            tun.close();
        } catch (IOException ignored) {
            // closing is best effort
        }
        try {
            transport.close();
        } catch (IOException ignored) {
            // closing is best effort
        }
        synchronized (lock) {
            for (Peer p : node.peerList()) node.removePeer(p);
            node.setStaticKey(null);
            lock.notifyAll();
        }
        for (Thread t : threads) {
            if (t != Thread.currentThread()) {
                t.interrupt();
            }
        }
    }

    /** Collects the node's actions into batches and writes them out when full and at the end of each event. */
    private final class Outbox implements Actions {
        private final PacketBatch net;
        private final PacketBatch host;

        Outbox(int bufferSize) {
            // Any inner packet up to 64 KiB fits, whatever the MTU becomes later.
            net = new PacketBatch(BATCH, bufferSize);
            host = new PacketBatch(BATCH, bufferSize);
        }

        @Override
        public void send(Endpoint to, byte[] datagram, int off, int len) {
            if (net.isFull()) flushNet();
            net.add(datagram, off, len, to);
        }

        @Override
        public void deliver(Peer from, byte[] packet, int off, int len) {
            if (host.isFull()) flushHost();
            host.add(packet, off, len, null);
        }

        void flush() {
            flushNet();
            flushHost();
        }

        private void flushNet() {
            if (net.count() == 0) return;
            try {
                transport.send(net);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                net.clear();
            }
        }

        private void flushHost() {
            if (host.count() == 0) return;
            try {
                tun.write(host);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                host.clear();
            }
        }
    }
}
