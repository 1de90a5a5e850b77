package dev.veil.conn;

import dev.veil.buffer.PacketBatch;
import dev.veil.core.Endpoint;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * An in-memory {@link DatagramTransport} bound to an endpoint of a {@link MemoryNetwork}. The receive queue is
 * bounded (datagrams beyond it are dropped, as a socket buffer would). Thread-safe.
 */
public final class MemoryTransport implements DatagramTransport {
    /** Datagrams held before new ones are dropped. */
    static final int QUEUE_LIMIT = 4096;

    private final MemoryNetwork network;
    private volatile Endpoint local;
    private final ArrayDeque<MemoryNetwork.Datagram> queue = new ArrayDeque<>();
    private boolean closed;
    private long tooLong;
    private long dropped;

    MemoryTransport(MemoryNetwork network, Endpoint local) {
        this.network = network;
        this.local = local;
    }

    public Endpoint local() { return local; }

    void setLocal(Endpoint e) { local = e; }

    @Override public int localPort() { return local.port(); }

    synchronized void enqueue(Endpoint from, byte[] data) {
        if (closed) return;
        if (queue.size() >= QUEUE_LIMIT) { dropped++; return; }
        queue.addLast(new MemoryNetwork.Datagram(from, local, data));
        notifyAll();
    }

    /**
     * Non-blocking receive: fills the batch with what is queued (possibly nothing). A datagram longer than the
     * batch's buffers is dropped and counted ({@link #tooLong}), as a real socket's reader drops what does not fit.
     */
    public synchronized int poll(PacketBatch batch) {
        batch.clear();
        while (!queue.isEmpty() && !batch.isFull()) {
            MemoryNetwork.Datagram d = queue.pollFirst();
            if (!batch.add(d.data(), 0, d.data().length, d.from())) tooLong++;
        }
        return batch.count();
    }

    /** Datagrams dropped because they were longer than the receiver's buffers. */
    public synchronized long tooLong() { return tooLong; }

    /** Datagrams waiting to be received. */
    public synchronized int queued() { return queue.size(); }

    @Override
    public synchronized int receive(PacketBatch batch) {
        while (true) {
            while (queue.isEmpty() && !closed) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return -1;
                }
            }
            if (closed) return -1;
            // A datagram longer than the batch's buffers is dropped; when that was all there was, wait again rather
            // than return 0, as DatagramTransport.receive promises (the device's pipelined reader relies on it).
            int n = poll(batch);
            if (n > 0) return n;
        }
    }

    @Override
    public void send(PacketBatch batch) {
        if (closed) return;
        for (int i = 0; i < batch.count(); i++) {
            network.route(new MemoryNetwork.Datagram(local, batch.endpoint(i), Arrays.copyOf(batch.buffer(i), batch.length(i))));
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        queue.clear();
        network.unbind(this);
        notifyAll();
    }
}
