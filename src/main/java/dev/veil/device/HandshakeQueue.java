package dev.veil.device;

import dev.veil.core.Endpoint;
import dev.veil.core.Node;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * The bounded queue of handshake messages waiting for the node (as in wireguard-go): at most
 * {@link Node#HANDSHAKE_QUEUE_SIZE}, further ones are dropped and counted. Its depth drives the node's under-load
 * mode. Not thread-safe: the device's lock guards it.
 */
final class HandshakeQueue {
    private record Queued(byte[] data, Endpoint from) {}

    private final ArrayDeque<Queued> queue = new ArrayDeque<>();
    private long drops;

    /** Queues a copy of buf[0, len), or drops it when the queue is full. */
    void offer(byte[] buf, int len, Endpoint from) {
        if (queue.size() >= Node.HANDSHAKE_QUEUE_SIZE) {
            drops++;
        } else {
            queue.addLast(new Queued(Arrays.copyOf(buf, len), from));
        }
    }

    /** Tells the node the backlog, then hands it up to max queued messages. */
    void process(Node node, int max, dev.veil.core.Actions out) {
        node.observeHandshakeBacklog(queue.size());
        for (int i = 0; i < max && !queue.isEmpty(); i++) {
            Queued q = queue.pollFirst();
            node.receive(q.data, 0, q.data.length, q.from, out);
        }
    }

    int size() { return queue.size(); }

    boolean isEmpty() { return queue.isEmpty(); }

    long drops() { return drops; }
}
