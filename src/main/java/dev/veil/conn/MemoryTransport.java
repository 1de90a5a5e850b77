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

    /** Non-blocking receive: fills the batch with what is queued (possibly nothing). */
    public synchronized int poll(PacketBatch batch) {
        batch.clear();
        while (!queue.isEmpty() && !batch.isFull()) {
            MemoryNetwork.Datagram d = queue.pollFirst();
            batch.add(d.data(), 0, d.data().length, d.from());
        }
        return batch.count();
    }

    /** Datagrams waiting to be received. */
    public synchronized int queued() { return queue.size(); }

    @Override
    public synchronized int receive(PacketBatch batch) {
        while (queue.isEmpty() && !closed) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }
        if (closed) return -1;
        return poll(batch);
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
