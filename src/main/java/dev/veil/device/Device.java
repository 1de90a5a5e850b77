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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * One Veil interface: it wires a {@link TunDevice} and a {@link DatagramTransport} to the protocol {@link Node}.
 *
 * <p>Flow: packets read from the TUN are routed by the node to a peer and sealed; datagrams from the transport are
 * opened and delivered to the TUN. Handshake messages wait in a bounded queue (as in wireguard-go), whose depth
 * drives the node's under-load mode, as does a budget of Diffie-Hellmans a second; they are processed a few at a
 * time between other work. A timer thread runs the node's timers at their deadlines.
 *
 * <p>Locks: the device lock guards the node. Only the protocol steps of the data path take it, a batch at a time
 * (routing and counter reservation on the way out; index lookup, then replay check, timers, roaming and the source
 * check on the way in); sealing and opening run outside it (see {@link OutboundBatch} and {@link InboundBatch}).
 * Writes to the transport and to the TUN each have their own lock, taken after the device lock when both are held.
 *
 * <p>Threads, with {@code veil.crypto.workers} crypto workers (default: none on one or two processors, else the
 * available processors; see {@link #workersFromProperty}):
 * {@code veil-<iface>-tun-0} reads TUN batches and {@code veil-<iface>-net-0} reads datagram batches into an ordered
 * {@link Pipeline} per direction; {@code veil-<iface>-crypto-<n>} seal and open whole batches;
 * {@code veil-<iface>-netwrite-0} and {@code veil-<iface>-tunwrite-0} write the finished batches out in the order
 * they were read, so per-peer order holds; {@code veil-<iface>-timer-0} runs timers and queued handshakes. With 0
 * workers the two reading threads do the crypto and the writing themselves. With {@link #setDataThreadSlices} every
 * thread but the timer's asks the OS for a short scheduler slice while its batches come now and then
 * ({@link SlicePacer}). Tests can instead call {@link #onTunPackets}, {@link #onDatagrams} and {@link #onTimers}
 * themselves with a fake clock and no threads.
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
    /** The system property with the number of crypto workers (0: crypto on the reading threads). */
    public static final String WORKERS_PROPERTY = "veil.crypto.workers";
    /** Up to this many processors the default is no crypto workers (see {@link #defaultWorkers}). */
    static final int INLINE_CRYPTO_UP_TO_PROCESSORS = 2;
    /** Batches in flight per direction and worker; the pipelines hold at most 8 (each batch is 64 x 64 KiB). */
    private static final int BATCHES_PER_WORKER = 2, MAX_BATCHES = 8;
    /**
     * The largest inner packet a device handles unless its TUN's MTU is larger when it is made: jumbo frames fit,
     * and the batches hold 9 KiB buffers instead of 64 KiB ones (about 6 MB instead of 40 MB with two workers).
     * Larger packets (an MTU raised later beyond it) are dropped and counted, and the timer thread says so once.
     */
    public static final int DEFAULT_MAX_PACKET = 9216;
    /** How long close waits for the device's threads to end. */
    private static final long CLOSE_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final String name;
    private final TunDevice tun;
    private final TransportFactory transports;
    private volatile DatagramTransport transport;
    private int fwmark;
    private final Clock clock;
    private final Node node;
    private final int workers;
    /** The largest inner packet the batches hold (see {@link #DEFAULT_MAX_PACKET}). */
    private final int maxPacket;
    private boolean warnedMtu;
    private final Object lock = new Object();
    /** Guards transport.send and tun.write, which each take one thread at a time. */
    private final Object netWriteLock = new Object(), tunWriteLock = new Object();
    private final Outbox outbox;
    private final HandshakeQueue handshakes = new HandshakeQueue();
    /** The batches of the event methods and of the reading threads when there are no workers. */
    private final OutboundBatch tunInline = new OutboundBatch(BATCH);
    private final InboundBatch netInline = new InboundBatch(BATCH);
    private Pipeline<OutboundBatch> outbound;
    private Pipeline<InboundBatch> inbound;
    private ArrayBlockingQueue<Pipeline.Job> cryptoQueue;
    private final List<Thread> threads = new ArrayList<>();
    /** When the timer thread last read the TUN's MTU; that thread's alone. */
    private long mtuCheckedAt;
    private volatile boolean closed;
    /**
     * Batches read from the TUN and from the socket so far (see {@link #batchesRead}), each counted by the one thread
     * that reads there. Not a LongAdder shared by both: its first contention between the two readers made C2 code that
     * had inlined its uncontended path deoptimise, and the reading loops were compiled again seconds into traffic
     * (BENCHMARKS.md).
     */
    private final AtomicLong tunBatchesRead = new AtomicLong(), netBatchesRead = new AtomicLong();
    private volatile Throwable failure;
    private volatile Consumer<Throwable> onFailure = t -> {};
    /** The data path's short scheduler slice and how a thread asks for one, or null; see {@link #setDataThreadSlices}. */
    private volatile DataSlices dataSlices;

    /** A short slice in nanoseconds and how a thread asks the OS for a slice (0: the default) for itself. */
    private record DataSlices(long shortNanos, LongConsumer set) {}

    /**
     * A device on the given TUN, with its transport opened by the factory on a free port (see
     * {@link #setListenPort}), and the number of crypto workers from the system property {@value #WORKERS_PROPERTY}.
     */
    public Device(String name, TunDevice tun, TransportFactory transports, Clock clock, SecureRandom random, Aead aead)
            throws IOException {
        this(name, tun, transports, clock, random, aead, workersFromProperty());
    }

    /** A device with the given number of crypto workers (0: the reading threads seal and open). */
    public Device(String name, TunDevice tun, TransportFactory transports, Clock clock, SecureRandom random, Aead aead,
            int cryptoWorkers) throws IOException {
        if (cryptoWorkers < 0) throw new IllegalArgumentException("crypto workers: " + cryptoWorkers);
        this.name = name;
        this.tun = tun;
        this.transports = transports;
        this.clock = clock;
        this.node = new Node(clock, random, aead);
        this.node.setMtu(tun.mtu());
        this.workers = cryptoWorkers;
        this.maxPacket = Math.min(0xffff, Math.max(DEFAULT_MAX_PACKET, tun.mtu()));
        this.outbox = new Outbox(maxDatagram());
        this.transport = transports.open(0, 0);
    }

    /**
     * The number of crypto workers from {@value #WORKERS_PROPERTY}, else {@link #defaultWorkers} of the available
     * processors; an IllegalArgumentException with a one-line message when the property is not a number of threads.
     */
    public static int workersFromProperty() {
        String v = System.getProperty(WORKERS_PROPERTY);
        if (v == null || v.isBlank()) return defaultWorkers(Runtime.getRuntime().availableProcessors());
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 0) return n;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(WORKERS_PROPERTY + ": not a number of threads (0 or more): " + v);
    }

    /**
     * The default number of crypto workers on a machine with the given processors: none up to
     * {@value #INLINE_CRYPTO_UP_TO_PROCESSORS} (the reading threads seal and open: on two cores the hand-over to
     * workers costs more wake-ups and cache misses than the parallelism gains; 1.55 against 1.1 Gbit/s through two
     * devices in BENCHMARKS.md), else one per processor.
     */
    static int defaultWorkers(int processors) {
        return processors <= INLINE_CRYPTO_UP_TO_PROCESSORS ? 0 : processors;
    }

    public String name() { return name; }

    /** The number of crypto worker threads (0: the reading threads do the crypto). */
    public int cryptoWorkers() { return workers; }

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
        synchronized (netWriteLock) {  // no batch goes out while the transport is swapped
            DatagramTransport old = transport;
            old.close();  // frees the port first; the network thread sees the swap and moves to the new transport
            try {
                transport = transports.open(port, mark);
            } catch (IOException | RuntimeException e) {
                transport = transports.open(old.localPort(), fwmark);  // keep serving on the old port
                throw e;
            }
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

    /**
     * Packets the host sent into the tunnel, handled on the calling thread. The batch's buffers are used in place:
     * they hold the datagrams sent afterwards.
     */
    public void onTunPackets(PacketBatch in) {
        tunInline.attach(in);
        if (prepareOutbound(tunInline)) {
            tunInline.crypto();
            writeToNetwork(in);
        }
    }

    /**
     * Datagrams from the network, handled on the calling thread. The batch's buffers are used in place: they hold
     * the packets delivered afterwards.
     */
    public void onDatagrams(PacketBatch in) {
        netInline.attach(in);
        if (prepareInbound(netInline)) {
            netInline.crypto();
            completeInbound(netInline);
            writeToTun(in);
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

    private boolean prepareOutbound(OutboundBatch b) {
        synchronized (lock) {
            boolean any = b.prepareLocked(node, outbox);
            outbox.flush();
            // No wake-up for the timer thread: data arms timers at least a second ahead (rekey, keepalive, zeroing),
            // and that thread looks again within a second anyway. Waking it for every batch cost a context switch
            // and a scan of all peers per batch.
            return any;
        }
    }

    private boolean prepareInbound(InboundBatch b) {
        synchronized (lock) {
            boolean any = b.prepareLocked(node, outbox, handshakes);
            if (!any) b.datagrams().setCount(0);
            processHandshakesLocked();
            outbox.flush();
            if (!handshakes.isEmpty()) lock.notifyAll();  // the timer thread works through the rest of the queue
            return any;
        }
    }

    private void completeInbound(InboundBatch b) {
        synchronized (lock) {
            b.completeLocked(node, outbox);
            outbox.flush();  // no timer wake-up either (see prepareOutbound)
        }
    }

    private void writeToNetwork(PacketBatch b) {
        if (b.count() == 0) return;
        synchronized (netWriteLock) {
            try {
                transport.send(b);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private void writeToTun(PacketBatch b) {
        if (b.count() == 0) return;
        synchronized (tunWriteLock) {
            try {
                tun.write(b);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private void processHandshakesLocked() {
        handshakes.process(node, clock.nanoTime(), outbox);
    }

    /** The largest datagram the batches hold: a transport message of the largest inner packet, padded. */
    private int maxDatagram() {
        return maxPacket + Protocol.TRANSPORT_OVERHEAD + Protocol.PADDING_MULTIPLE;
    }

    /**
     * Batches of packets or datagrams read so far, from the TUN and from the socket: whether the interface carries
     * traffic at the moment (the daemon does its one-time housekeeping when it does not). Lock-free.
     */
    public long batchesRead() {
        return tunBatchesRead.getOpaque() + netBatchesRead.getOpaque();
    }

    /** Counts a batch on a counter only the calling thread writes. */
    private static void countBatch(AtomicLong counter) {
        counter.setOpaque(counter.getPlain() + 1);
    }

    /** Handshake messages dropped because the queue was full. */
    public long handshakeQueueDrops() {
        synchronized (lock) { return handshakes.drops(); }
    }

    public int handshakeBacklog() {
        synchronized (lock) { return handshakes.size(); }
    }

    // ---- threads ------------------------------------------------------------------------------------------------

    /**
     * Gives each data-path thread (reading, crypto, writing; not the timer's) a scheduler slice of its own: {@code
     * shortNanos} before its first batch and while its batches come now and then, the OS's default while they come
     * back to back ({@link SlicePacer}). {@code setSlice} asks the OS for a slice for the calling thread (0: the
     * default). Set it before {@link #start}; without it the threads keep the OS's default.
     */
    public synchronized void setDataThreadSlices(long shortNanos, LongConsumer setSlice) {
        if (shortNanos <= 0) throw new IllegalArgumentException("short slice " + shortNanos);
        if (!threads.isEmpty()) throw new IllegalStateException("the threads have started");
        dataSlices = new DataSlices(shortNanos, Objects.requireNonNull(setSlice));
    }

    /** Starts the reading, crypto, writing and timer threads. */
    public synchronized void start() {
        if (!threads.isEmpty() || closed) throw new IllegalStateException("already started or closed");
        if (workers == 0) {
            PacketBatch packets = new PacketBatch(BATCH, maxPacket + OutboundBatch.HEADROOM);
            PacketBatch datagrams = new PacketBatch(BATCH, maxDatagram());
            spawn("tun-0", true, () -> readTunInline(packets));
            spawn("net-0", true, () -> receiveInline(datagrams));
        } else {
            int depth = Math.min(MAX_BATCHES, Math.max(2, BATCHES_PER_WORKER * workers));
            OutboundBatch[] out = new OutboundBatch[depth];
            InboundBatch[] in = new InboundBatch[depth];
            for (int i = 0; i < depth; i++) {
                out[i] = OutboundBatch.owning(BATCH, maxPacket + OutboundBatch.HEADROOM);
                in[i] = InboundBatch.owning(BATCH, maxDatagram());
            }
            outbound = new Pipeline<>(out);
            inbound = new Pipeline<>(in);
            cryptoQueue = new ArrayBlockingQueue<>(2 * depth);  // room for every batch: putting never waits
            spawn("tun-0", true, this::readTun);
            spawn("net-0", true, this::receive);
            for (int i = 0; i < workers; i++) spawn("crypto-" + i, true, this::crypto);
            spawn("netwrite-0", true, this::writeNetwork);
            spawn("tunwrite-0", true, this::writeTun);
        }
        mtuCheckedAt = clock.nanoTime();
        spawn("timer-0", false, this::timerRound);
    }

    /** One round of a thread's loop; false ends the loop. */
    private interface Round {
        boolean run() throws IOException, InterruptedException;
    }

    /**
     * Starts a thread that runs rounds until one returns false or the device closes; an error fails the device. A
     * data-path thread's slice follows its rounds when {@link #setDataThreadSlices} was called.
     */
    private void spawn(String role, boolean dataPath, Round round) {
        DataSlices slices = dataPath ? dataSlices : null;
        Runnable body = () -> {
            try {
                SlicePacer pacer = slices == null ? null : new SlicePacer(slices.shortNanos(), slices.set(), clock.nanoTime());
                while (!closed && round.run()) {
                    if (pacer != null) pacer.afterRound(clock.nanoTime());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException | RuntimeException e) {
                fail(e);
            }
        };
        threads.add(Thread.ofPlatform().name("veil-" + name + "-" + role).daemon().start(body));
    }

    /** Without workers: reads, seals and sends on this thread. */
    private boolean readTunInline(PacketBatch packets) throws IOException {
        if (tun.read(packets) <= 0) return false;
        countBatch(tunBatchesRead);
        onTunPackets(packets);
        return true;
    }

    /** Without workers: receives, opens and delivers on this thread. */
    private boolean receiveInline(PacketBatch datagrams) throws IOException {
        DatagramTransport t = transport;
        int n = t.receive(datagrams);
        if (n > 0) {
            countBatch(netBatchesRead);
            onDatagrams(datagrams);
        } else if (n < 0 && t == transport) {
            waitForRebind(t);
        }
        return true;
    }

    /** With workers: reads a TUN batch into the outbound pipeline and prepares it. */
    private boolean readTun() throws IOException, InterruptedException {
        OutboundBatch b = outbound.acquire();
        if (b == null || tun.read(b.packets()) <= 0) return false;
        countBatch(tunBatchesRead);
        boolean seal = prepareOutbound(b);
        outbound.publish(b, seal);
        if (seal) cryptoQueue.add(b);
        return true;
    }

    /** With workers: reads a datagram batch into the inbound pipeline and prepares it. */
    private boolean receive() throws IOException, InterruptedException {
        InboundBatch b = inbound.acquire();
        if (b == null) return false;
        DatagramTransport t = transport;
        int n = t.receive(b.datagrams());
        if (n > 0) {
            countBatch(netBatchesRead);
            boolean open = prepareInbound(b);
            inbound.publish(b, open);
            if (open) cryptoQueue.add(b);
        } else if (n < 0 && t == transport) {
            waitForRebind(t);
        }
        return true;
    }

    /** Seals or opens one whole batch, whichever direction it belongs to. */
    private boolean crypto() throws InterruptedException {
        Pipeline.Job j = cryptoQueue.take();
        j.crypto();
        j.finished();
        return true;
    }

    /** Sends the next sealed batch, in the order they were read. */
    private boolean writeNetwork() throws InterruptedException {
        OutboundBatch b = outbound.awaitHead();
        if (b == null) return false;
        writeToNetwork(b.packets());
        outbound.release(b);
        return true;
    }

    /** Completes the next opened batch in the order they were read (replay check and the rest), then delivers it. */
    private boolean writeTun() throws InterruptedException {
        InboundBatch b = inbound.awaitHead();
        if (b == null) return false;
        if (b.datagrams().count() > 0) {
            completeInbound(b);
            writeToTun(b.datagrams());
        }
        inbound.release(b);
        return true;
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

    /** Runs due timers and queued handshakes, else waits until the next deadline (at most a second). */
    private boolean timerRound() throws InterruptedException {
        if (clock.nanoTime() - mtuCheckedAt >= TimeUnit.SECONDS.toNanos(1)) {
            mtuCheckedAt = clock.nanoTime();
            int mtu = tun.mtu();  // the operator may change it (ip link set mtu); padding follows it
            synchronized (lock) {
                node.setMtu(mtu);
            }
            if (mtu > maxPacket && !warnedMtu) {
                warnedMtu = true;
                System.getLogger("dev.veil.device").log(System.Logger.Level.WARNING, "veil: " + name + ": MTU " + mtu
                    + " is above the largest packet this interface was made for (" + maxPacket + " bytes); larger "
                    + "packets are dropped until it is recreated");
            }
        }
        synchronized (lock) {
            long wait = handshakes.isEmpty() ? node.nextDeadline() - clock.nanoTime() : 0;
            if (wait > 0) {
                TimeUnit.NANOSECONDS.timedWait(lock, Math.min(wait, TimeUnit.SECONDS.toNanos(1)));
                return true;
            }
        }
        onTimers();
        return true;
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

    /**
     * Stops the device: closes the TUN and the transport, forgets the peers and the private key, stops every
     * thread and waits (up to 10 s) until they have ended, then wipes the key copies of batches still in flight.
     */
    @Override
    public void close() {
        synchronized (this) {  // against a concurrent start
            if (closed) return;
            closed = true;
        }
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
        if (outbound != null) {
            outbound.close();
            inbound.close();
        }
        synchronized (lock) {
            for (Peer p : node.peerList()) node.removePeer(p);
            node.setStaticKey(null);
            lock.notifyAll();
        }
        Thread self = Thread.currentThread();
        for (Thread t : threads) {
            if (t != self) t.interrupt();
        }
        if (awaitThreads(self)) wipeBatches();
    }

    /** Waits for every thread but self to end; true when they all did in time. */
    private boolean awaitThreads(Thread self) {
        long deadline = System.nanoTime() + CLOSE_TIMEOUT_NANOS;
        boolean all = true;
        for (Thread t : threads) {
            if (t == self) {
                all = false;  // a failing thread closes the device; it ends right after
                continue;
            }
            try {
                long left = deadline - System.nanoTime();
                if (left > 0) t.join(Duration.ofNanos(left));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            all &= !t.isAlive();
        }
        return all;
    }

    private void wipeBatches() {
        tunInline.wipe();
        netInline.wipe();
        if (outbound == null) return;
        for (int i = 0; i < outbound.depth(); i++) {
            outbound.job(i).wipe();
            inbound.job(i).wipe();
        }
    }

    /**
     * Collects the node's control actions (handshakes, keepalives, staged packets, cookie replies) into batches and
     * writes them out when full and at the end of each locked step. Used under the device lock only.
     */
    private final class Outbox implements Actions {
        private final PacketBatch net;
        private final PacketBatch host;

        Outbox(int bufferSize) {
            // Any inner packet up to 64 KiB fits, whatever the MTU becomes later. The buffers are allocated as they
            // are first filled: a step seldom leaves more than a few actions, and 2 x 64 full-size buffers would hold
            // 1.2 MB of heap a device (BENCHMARKS.md, "The heap's high-water mark").
            net = PacketBatch.growing(BATCH, bufferSize);
            host = PacketBatch.growing(BATCH, bufferSize);
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
                writeToNetwork(net);
            } finally {
                net.clear();
            }
        }

        private void flushHost() {
            if (host.count() == 0) return;
            try {
                writeToTun(host);
            } finally {
                host.clear();
            }
        }
    }
}
