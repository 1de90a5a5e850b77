package dev.veil.device;

import dev.veil.buffer.PacketBatch;
import dev.veil.core.Actions;
import dev.veil.core.Endpoint;
import dev.veil.core.Node;
import dev.veil.core.OutboundElement;
import dev.veil.core.Protocol;

/**
 * A batch of inner packets from the TUN on its way to the network. {@link #prepareLocked} (under the device's lock)
 * routes each packet and reserves its counter; {@link #crypto} (anywhere) seals the ready ones in place, each in its
 * own buffer, and compacts the batch to the datagrams to send, in read order; the caller then hands
 * {@link #packets()} to the transport. Packets that are staged, dropped, or too big to seal in place (these go
 * through {@link Node#send} under the lock) are left out.
 *
 * <p>Owns one {@link OutboundElement} per slot and, in a pipeline, its {@link PacketBatch}; nothing is allocated per
 * packet. Not thread-safe: one thread at a time, handed over through the {@link Pipeline}.
 */
final class OutboundBatch extends Pipeline.Job {
    /** Room a packet needs in its buffer beyond its length to be sealed in place. */
    static final int HEADROOM = Protocol.TRANSPORT_OVERHEAD + Protocol.PADDING_MULTIPLE;

    private final OutboundElement[] elements;
    private PacketBatch packets;
    private int ready;

    /** A batch that works on the caller's packets (see {@link #attach}). */
    OutboundBatch(int capacity) {
        elements = new OutboundElement[capacity];
        for (int i = 0; i < capacity; i++) elements[i] = new OutboundElement();
    }

    /** A batch with its own buffers of {@code bufferSize} bytes (an inner packet plus {@link #HEADROOM}). */
    static OutboundBatch owning(int capacity, int bufferSize) {
        OutboundBatch b = new OutboundBatch(capacity);
        b.packets = new PacketBatch(capacity, bufferSize);
        return b;
    }

    /** Works on the given batch from now on (its buffers are overwritten with the datagrams). */
    void attach(PacketBatch p) {
        if (p.capacity() > elements.length) throw new IllegalArgumentException("batch larger than " + elements.length);
        packets = p;
    }

    PacketBatch packets() { return packets; }

    /** Under the device's lock: routes every packet, reserving counters for those to seal. True if any is ready. */
    boolean prepareLocked(Node node, Actions control) {
        PacketBatch b = packets;
        ready = 0;
        long now = node.clock().nanoTime();
        for (int i = 0; i < b.count(); i++) {
            OutboundElement e = elements[i];
            int len = b.length(i);
            if (len + HEADROOM <= b.buffer(i).length) {
                node.prepareSend(b.buffer(i), 0, len, now, e, control);
                if (e.isReady()) ready++;
            } else {
                e.clear();
                node.send(b.buffer(i), 0, len, control);
            }
        }
        if (ready == 0) b.setCount(0);
        return ready > 0;
    }

    /** Seals the ready packets in place and keeps only them, in order, each with its endpoint. */
    @Override
    void crypto() {
        PacketBatch b = packets;
        int kept = 0;
        for (int i = 0; i < b.count(); i++) {
            OutboundElement e = elements[i];
            if (!e.isReady()) continue;
            Endpoint to = e.endpoint();
            byte[] buf = b.buffer(i);
            b.set(i, e.seal(buf, 0, buf, 0), to);
            if (kept != i) b.swap(kept, i);
            kept++;
        }
        b.setCount(kept);
    }

    /** Wipes the key copies of elements never sealed (when the device closes). */
    void wipe() {
        for (OutboundElement e : elements) e.clear();
    }
}
