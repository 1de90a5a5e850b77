package dev.veil.device;

import dev.veil.buffer.PacketBatch;
import dev.veil.core.Actions;
import dev.veil.core.InboundElement;
import dev.veil.core.Node;
import dev.veil.core.Protocol;
import dev.veil.core.Result;

/**
 * A batch of datagrams from the network on its way to the TUN. {@link #prepareLocked} (under the device's lock)
 * queues handshake messages, handles cookie replies and junk at once, and maps each transport message to its
 * keypair; {@link #crypto} (anywhere) opens those in place and moves each plaintext to the front of its buffer;
 * {@link #completeLocked} (under the lock again, in read order) runs the replay check and everything after it, and
 * compacts the batch to the packets to deliver, in order.
 *
 * <p>Owns one {@link InboundElement} per slot and, in a pipeline, its {@link PacketBatch}; nothing is allocated per
 * transport message. Not thread-safe: one thread at a time, handed over through the {@link Pipeline}.
 */
final class InboundBatch extends Pipeline.Job {
    private final InboundElement[] elements;
    private PacketBatch datagrams;

    /** A batch that works on the caller's datagrams (see {@link #attach}). */
    InboundBatch(int capacity) {
        elements = new InboundElement[capacity];
        for (int i = 0; i < capacity; i++) elements[i] = new InboundElement();
    }

    /** A batch with its own buffers for datagrams up to {@code bufferSize} bytes. */
    static InboundBatch owning(int capacity, int bufferSize) {
        InboundBatch b = new InboundBatch(capacity);
        b.datagrams = new PacketBatch(capacity, bufferSize);
        return b;
    }

    /** Works on the given batch from now on (its buffers are overwritten with the plaintexts). */
    void attach(PacketBatch p) {
        if (p.capacity() > elements.length) throw new IllegalArgumentException("batch larger than " + elements.length);
        datagrams = p;
    }

    PacketBatch datagrams() { return datagrams; }

    /** Under the device's lock: sorts the datagrams. True if any transport message is to be opened. */
    boolean prepareLocked(Node node, Actions control, HandshakeQueue handshakes) {
        PacketBatch b = datagrams;
        int prepared = 0;
        long now = node.clock().nanoTime();
        for (int i = 0; i < b.count(); i++) {
            InboundElement e = elements[i];
            e.clear();
            byte[] buf = b.buffer(i);
            int len = b.length(i);
            int type = len > 0 ? buf[0] : 0;
            if (type == Protocol.MESSAGE_INITIATION || type == Protocol.MESSAGE_RESPONSE) {
                handshakes.offer(buf, len, b.endpoint(i));
            } else if (type == Protocol.MESSAGE_TRANSPORT) {
                if (node.prepareReceive(buf, 0, len, now, e)) prepared++;
            } else {
                node.receive(buf, 0, len, b.endpoint(i), control);
            }
        }
        return prepared > 0;
    }

    /** Opens the prepared messages in place; each authentic plaintext moves to the front of its buffer. */
    @Override
    void crypto() {
        PacketBatch b = datagrams;
        for (int i = 0; i < b.count(); i++) {
            InboundElement e = elements[i];
            if (!e.isPrepared()) continue;
            byte[] buf = b.buffer(i);
            int n = e.open(buf, 0, buf, Protocol.TRANSPORT_HEADER_SIZE);
            if (n > 0) System.arraycopy(buf, Protocol.TRANSPORT_HEADER_SIZE, buf, 0, n);
        }
    }

    /** Under the device's lock, in read order: completes each opened message and keeps the packets to deliver. */
    void completeLocked(Node node, Actions control) {
        PacketBatch b = datagrams;
        int kept = 0;
        long now = node.clock().nanoTime();
        for (int i = 0; i < b.count(); i++) {
            InboundElement e = elements[i];
            if (!e.isOpened()) continue;
            if (node.completeReceive(e, b.buffer(i), 0, b.endpoint(i), now, control) != Result.Ok.DATA) continue;
            b.set(i, e.innerLength(), null);
            if (kept != i) b.swap(kept, i);
            kept++;
        }
        b.setCount(kept);
    }

    /** Wipes the key copies of elements never opened (when the device closes). */
    void wipe() {
        for (InboundElement e : elements) e.clear();
    }
}
