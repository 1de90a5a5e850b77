package dev.veil.tun;

import dev.veil.buffer.PacketBatch;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * An in-memory {@link TunDevice} for tests and the in-JVM demo. The "host" side injects packets with
 * {@link #inject} (they come out of {@link #read}) and collects what the tunnel delivered with {@link #delivered}
 * or {@link #awaitDelivered}. Thread-safe: all state is guarded by the instance's monitor.
 */
public final class MemoryTun implements TunDevice {
    private final String name;
    private final int mtu;
    private final ArrayDeque<byte[]> outbound = new ArrayDeque<>();
    private final List<byte[]> delivered = new ArrayList<>();
    private boolean closed;
    private long tooLong;
    private java.util.function.Function<byte[], byte[]> host;

    public MemoryTun(String name, int mtu) {
        this.name = name;
        this.mtu = mtu;
    }

    @Override public String name() { return name; }

    @Override public int mtu() { return mtu; }

    /**
     * Makes the host answer what the tunnel delivers: each delivered packet is passed to the function, and a
     * non-null result is injected back (for example an echo reply). Such packets are not kept in
     * {@link #delivered()}.
     */
    public synchronized void setHost(java.util.function.Function<byte[], byte[]> host) {
        this.host = host;
    }

    /** The host sends a packet into the tunnel. */
    public synchronized void inject(byte[] packet) {
        outbound.addLast(packet.clone());
        notifyAll();
    }

    /** Packets injected and not read yet (a producer in a test keeps this bounded). */
    public synchronized int queued() {
        return outbound.size();
    }

    /**
     * Non-blocking read: fills the batch with what is queued (possibly nothing). A packet longer than the batch's
     * buffers is dropped and counted ({@link #tooLong}), as a real TUN's reader drops what does not fit.
     */
    public synchronized int poll(PacketBatch batch) {
        batch.clear();
        while (!outbound.isEmpty() && !batch.isFull()) {
            byte[] p = outbound.pollFirst();
            if (!batch.add(p, 0, p.length, null)) tooLong++;
        }
        return batch.count();
    }

    /** Packets dropped because they were longer than the reader's buffers. */
    public synchronized long tooLong() {
        return tooLong;
    }

    @Override
    public synchronized int read(PacketBatch batch) {
        while (true) {
            while (outbound.isEmpty() && !closed) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return -1;
                }
            }
            if (closed) return -1;
            // A packet longer than the batch's buffers is dropped; when that was all there was, wait again rather
            // than return 0 (which the device's reader would take for the end of the TUN).
            int n = poll(batch);
            if (n > 0) return n;
        }
    }

    @Override
    public synchronized void write(PacketBatch batch) {
        for (int i = 0; i < batch.count(); i++) {
            byte[] p = java.util.Arrays.copyOf(batch.buffer(i), batch.length(i));
            byte[] answer = host == null ? null : host.apply(p);
            if (answer != null) inject(answer);
            else delivered.add(p);
        }
        notifyAll();
    }

    /** Everything the tunnel delivered to the host so far, in order. */
    public synchronized List<byte[]> delivered() {
        return new ArrayList<>(delivered);
    }

    /** Removes and returns what was delivered so far. */
    public synchronized List<byte[]> drainDelivered() {
        List<byte[]> l = new ArrayList<>(delivered);
        delivered.clear();
        return l;
    }

    /** Waits until a delivered packet matches, or the timeout passes; returns it or null. */
    public synchronized byte[] awaitDelivered(Predicate<byte[]> match, long timeout, TimeUnit unit) {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (true) {
            for (byte[] p : delivered) if (match.test(p)) return p;
            long left = deadline - System.nanoTime();
            if (left <= 0 || closed) return null;
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        notifyAll();
    }
}
