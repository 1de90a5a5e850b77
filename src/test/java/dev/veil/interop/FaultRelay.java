package dev.veil.interop;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fault-injecting UDP relay between two peers, the tests' own stand-in for netem: it binds one socket facing each
 * peer, forwards every datagram from one peer to the other, and on the way drops, duplicates, delays and reorders
 * datagrams with the probabilities of a {@link Profile}, drawn from a seeded random (one stream per direction, so a
 * seed and a traffic order give the same decisions). Delays go through one scheduler: a priority queue ordered by
 * release time, drained by a single sender thread; nothing sleeps per datagram.
 *
 * <p>It is bounded: it stops by itself at its deadline (or on {@link #close()}), discarding what is still queued,
 * and never sends after that. At most {@link #MAX_QUEUED} datagrams wait at once; more are counted as overflowed.
 * {@link #blackout(Duration)} drops everything, both ways, for a while (an underlay outage).
 *
 * <p>Only datagrams from the peer a side faces are relayed; others (a stray sender on a reused port) are counted as
 * strangers and ignored. For each direction the counters satisfy {@code in + duplicated = out + dropped + blackedOut
 * + overflowed + failed + discarded} once the relay has stopped. Thread-safety: safe; two receiver threads (one per side) and one
 * sender thread run inside, and every public method may be called from any thread.
 */
final class FaultRelay implements AutoCloseable {
    static final int MAX_QUEUED = 100_000;

    /**
     * What the relay does to each datagram, independently per datagram: dropped with probability {@code loss};
     * otherwise delayed by {@code delay} ± {@code jitter} (uniform, never below zero); duplicated with probability
     * {@code duplicate} (the copy gets its own delay); held back by an extra {@code reorderHold} with probability
     * {@code reorder}, so that the datagrams behind it overtake it.
     */
    record Profile(double loss, double reorder, double duplicate, Duration delay, Duration jitter, Duration reorderHold) {
        static final Profile CLEAN = new Profile(0, 0, 0, Duration.ZERO, Duration.ZERO, Duration.ZERO);

        Profile {
            for (double p : new double[] {loss, reorder, duplicate}) {
                if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("probability out of [0, 1]: " + p);
            }
            if (delay.isNegative() || jitter.isNegative() || reorderHold.isNegative()) {
                throw new IllegalArgumentException("negative duration");
            }
        }

        /** The longest a datagram can wait in the relay. */
        Duration maxDelay() {
            return delay.plus(jitter).plus(reorderHold);
        }

        @Override
        public String toString() {
            return String.format("loss %.0f%%, reorder %.0f%% (held %d ms), duplicate %.0f%%, delay %d ± %d ms",
                loss * 100, reorder * 100, reorderHold.toMillis(), duplicate * 100, delay.toMillis(), jitter.toMillis());
        }
    }

    /** One direction's counters, a snapshot. */
    record Counters(long in, long out, long dropped, long duplicated, long heldBack, long reordered, long blackedOut,
                    long overflowed, long failed, long discarded, long strangers) {
        /** What happened between an earlier snapshot and this one. */
        Counters minus(Counters o) {
            return new Counters(in - o.in, out - o.out, dropped - o.dropped, duplicated - o.duplicated,
                heldBack - o.heldBack, reordered - o.reordered, blackedOut - o.blackedOut, overflowed - o.overflowed,
                failed - o.failed, discarded - o.discarded, strangers - o.strangers);
        }

        /** True when every datagram that came in (and every copy) is accounted for. */
        boolean balanced() {
            return in + duplicated == out + dropped + blackedOut + overflowed + failed + discarded;
        }

        @Override
        public String toString() {
            return "in " + in + ", out " + out + ", dropped " + dropped + ", duplicated " + duplicated + ", held back "
                + heldBack + ", reordered " + reordered + ", blacked out " + blackedOut + ", overflowed " + overflowed
                + ", send failed " + failed + ", discarded at stop " + discarded
                + (strangers == 0 ? "" : ", ignored from strangers " + strangers);
        }
    }

    /** One direction: where datagrams come in, where they go out, to whom, its random stream and its counters. */
    private final class Direction {
        final SocketAddress source;
        final DatagramChannel from;
        final DatagramChannel to;
        final SocketAddress target;
        final SplittableRandom random;
        final AtomicLong in = new AtomicLong(), out = new AtomicLong(), dropped = new AtomicLong(),
            duplicated = new AtomicLong(), heldBack = new AtomicLong(), reordered = new AtomicLong(),
            blackedOut = new AtomicLong(), overflowed = new AtomicLong(), failed = new AtomicLong(),
            discarded = new AtomicLong(), strangers = new AtomicLong();
        final AtomicLong longestDelay = new AtomicLong();  // the longest hold chosen for a datagram, in nanoseconds
        long arrivals;        // sequence number of the last datagram that came in; receiver thread only
        long highestReleased; // highest sequence number sent so far; sender thread only

        Direction(SocketAddress source, DatagramChannel from, DatagramChannel to, SocketAddress target, long seed) {
            this.source = source;
            this.from = from;
            this.to = to;
            this.target = target;
            this.random = new SplittableRandom(seed);
        }

        Counters counters() {
            return new Counters(in.get(), out.get(), dropped.get(), duplicated.get(), heldBack.get(), reordered.get(),
                    blackedOut.get(), overflowed.get(), failed.get(), discarded.get(), strangers.get());
        }

        /** Receives until the relay stops; decides each datagram's fate and queues what survives. */
        void receiveLoop() {
            ByteBuffer buf = ByteBuffer.allocate(65_536);
            while (running()) {
                try {
                    buf.clear();
                    SocketAddress sender = from.receive(buf);
                    if (sender == null) continue;
                    if (!sender.equals(source)) {
                        strangers.incrementAndGet();  // not the peer this side faces: not part of the relayed traffic
                        continue;
                    }
                } catch (IOException e) {
                    return;  // closed by stop(), or the socket is gone: either way this direction is over
                }
                buf.flip();
                byte[] data = new byte[buf.remaining()];
                buf.get(data);
                long now = System.nanoTime();
                long seq = ++arrivals;
                in.incrementAndGet();
                if (now < blackoutUntil.get()) {
                    blackedOut.incrementAndGet();
                    continue;
                }
                if (random.nextDouble() < profile.loss()) {
                    dropped.incrementAndGet();
                    continue;
                }
                schedule(new Pending(now + delayNanos(), seq, data, this));
                if (random.nextDouble() < profile.duplicate()) {
                    duplicated.incrementAndGet();
                    schedule(new Pending(now + delayNanos(), seq, data, this));
                }
            }
        }

        private long delayNanos() {
            long d = profile.delay().toNanos();
            long j = profile.jitter().toNanos();
            if (j > 0) d += random.nextLong(-j, j + 1);
            if (profile.reorder() > 0 && random.nextDouble() < profile.reorder()) {
                heldBack.incrementAndGet();
                d += profile.reorderHold().toNanos();
            }
            d = Math.max(0, d);
            longestDelay.accumulateAndGet(d, Math::max);
            return d;
        }

        /** Sends one released datagram; sender thread only, under the relay's lock. */
        void send(Pending p) {
            if (p.seq < highestReleased) reordered.incrementAndGet();
            highestReleased = Math.max(highestReleased, p.seq);
            try {
                to.send(ByteBuffer.wrap(p.data), target);
                out.incrementAndGet();
            } catch (ClosedChannelException e) {
                discarded.incrementAndGet();
            } catch (IOException e) {
                failed.incrementAndGet();  // e.g. the network is unreachable while a link is down
            }
        }
    }

    /** A datagram waiting for its release time; ties keep arrival order. */
    private record Pending(long release, long seq, byte[] data, Direction direction) implements Comparable<Pending> {
        @Override
        public int compareTo(Pending o) {
            int c = Long.compare(release, o.release);
            if (c != 0) return c;
            c = Long.compare(seq, o.seq);
            return c != 0 ? c : Integer.compare(System.identityHashCode(direction), System.identityHashCode(o.direction));
        }
    }

    private final Profile profile;
    private final long deadline;
    private final DatagramChannel sideA;
    private final DatagramChannel sideB;
    private final Direction aToB;
    private final Direction bToA;
    private final AtomicLong blackoutUntil = new AtomicLong(Long.MIN_VALUE);
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final PriorityQueue<Pending> queue = new PriorityQueue<>();  // guarded by lock
    private boolean stopped;                                            // guarded by lock
    private final List<Thread> threads = new ArrayList<>();

    /**
     * Binds {@code bindA} (facing peer a, at {@code peerA}) and {@code bindB} (facing peer b, at {@code peerB}) and
     * starts relaying; it stops by itself after {@code lifetime}. Port 0 in a bind address picks a free port
     * ({@link #addressA()} and {@link #addressB()} tell which).
     */
    FaultRelay(InetSocketAddress bindA, InetSocketAddress peerA, InetSocketAddress bindB, InetSocketAddress peerB,
               Profile profile, long seed, Duration lifetime) throws IOException {
        this.profile = profile;
        this.deadline = System.nanoTime() + lifetime.toNanos();
        sideA = open(bindA);
        try {
            sideB = open(bindB);
        } catch (IOException e) {
            sideA.close();
            throw e;
        }
        aToB = new Direction(peerA, sideA, sideB, peerB, seed);
        bToA = new Direction(peerB, sideB, sideA, peerA, seed ^ 0x5DEECE66DL);
        threads.add(Thread.ofPlatform().daemon().name("fault-relay-a-b").start(aToB::receiveLoop));
        threads.add(Thread.ofPlatform().daemon().name("fault-relay-b-a").start(bToA::receiveLoop));
        threads.add(Thread.ofPlatform().daemon().name("fault-relay-send").start(this::sendLoop));
    }

    private static DatagramChannel open(InetSocketAddress bind) throws IOException {
        var family = bind.getAddress() instanceof Inet6Address ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
        DatagramChannel channel = DatagramChannel.open(family);
        channel.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);  // the kernel caps it at net.core.rmem_max
        return channel.bind(bind);
    }

    /**
     * Datagrams the kernel dropped at the relay's two sockets (their receive buffers were full, the relay thread
     * being too slow), as /proc/net/udp and udp6 count them in their "drops" column; these never reach the counters.
     * Read while the relay runs.
     */
    long kernelDrops() throws IOException {
        return kernelDrops(addressA()) + kernelDrops(addressB());
    }

    /** Datagrams the kernel dropped at the UDP socket bound to {@code local} (opened for that address's family). */
    static long kernelDrops(InetSocketAddress local) throws IOException {
        String file = local.getAddress() instanceof Inet6Address ? "/proc/net/udp6" : "/proc/net/udp";
        String port = String.format(":%04X", local.getPort());
        long drops = 0;
        for (String line : Files.readAllLines(Path.of(file))) {
            String[] f = line.strip().split("\\s+");
            if (f.length > 12 && f[1].endsWith(port)) drops += Long.parseLong(f[f.length - 1]);
        }
        return drops;
    }

    /** The address peer a sends to (its endpoint for b). */
    InetSocketAddress addressA() throws IOException {
        return (InetSocketAddress) sideA.getLocalAddress();
    }

    /** The address peer b sends to (its endpoint for a). */
    InetSocketAddress addressB() throws IOException {
        return (InetSocketAddress) sideB.getLocalAddress();
    }

    Counters aToB() {
        return aToB.counters();
    }

    Counters bToA() {
        return bToA.counters();
    }

    /**
     * The longest hold the relay chose for any datagram either way (its decision, not the latency a peer measures,
     * which also holds the scheduling of the relay's threads and the receiver's).
     */
    Duration longestChosenDelay() {
        return Duration.ofNanos(Math.max(aToB.longestDelay.get(), bToA.longestDelay.get()));
    }

    Profile profile() {
        return profile;
    }

    /** When the relay stops by itself, in {@link System#nanoTime()} terms. */
    long deadlineNanos() {
        return deadline;
    }

    /** Drops every datagram, both ways, from now for {@code duration}. */
    void blackout(Duration duration) {
        blackoutUntil.set(System.nanoTime() + duration.toNanos());
    }

    /** True until the deadline passes or the relay is closed. */
    boolean running() {
        lock.lock();
        try {
            return !stopped && System.nanoTime() - deadline < 0;
        } finally {
            lock.unlock();
        }
    }

    /** Stops the relay, as {@link #stopAndWait()}. */
    @Override
    public void close() {
        stopAndWait();
    }

    /** Stops the relay now (if not stopped yet), discarding what is queued, and waits for its threads. */
    void stopAndWait() {
        stop();
        for (Thread t : threads) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Waits until the relay has stopped by itself (its deadline), at most {@code timeout}; true when it has. */
    boolean awaitStop(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        for (Thread t : threads) {
            long left = end - System.nanoTime();
            if (left > 0) t.join(Duration.ofNanos(left));
            if (t.isAlive()) return false;
        }
        return true;
    }

    @Override
    public String toString() {
        return "relay (" + profile + "): a->b " + aToB() + "; b->a " + bToA();
    }

    private void schedule(Pending p) {
        lock.lock();
        try {
            if (stopped) {
                p.direction.discarded.incrementAndGet();
            } else if (queue.size() >= MAX_QUEUED) {
                p.direction.overflowed.incrementAndGet();
            } else {
                queue.add(p);
                if (queue.peek() == p) changed.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Releases queued datagrams at their time, until the deadline or close(). It sends under the lock, so that no
     * datagram leaves after the relay has stopped.
     */
    private void sendLoop() {
        lock.lock();
        try {
            while (true) {
                long now = System.nanoTime();
                if (stopped || now - deadline >= 0) {
                    stopLocked();
                    return;
                }
                Pending head = queue.peek();
                if (head != null && head.release - now <= 0) {
                    queue.poll();
                    head.direction.send(head);
                    continue;
                }
                long wait = head == null ? deadline - now : Math.min(deadline - now, head.release - now);
                try {
                    changed.awaitNanos(wait);
                } catch (InterruptedException e) {
                    stopLocked();
                    return;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void stop() {
        lock.lock();
        try {
            stopLocked();
        } finally {
            lock.unlock();
        }
    }

    private void stopLocked() {
        if (!stopped) {
            stopped = true;
            for (Pending p : queue) p.direction.discarded.incrementAndGet();
            queue.clear();
            changed.signalAll();
        }
        try {
            sideA.close();  // wakes the receivers
            sideB.close();
        } catch (IOException ignored) {
            // nothing more to do: the relay is over either way
        }
    }
}
