package dev.veil.device;

import dev.veil.core.Endpoint;
import dev.veil.core.Node;
import dev.veil.core.Result;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * The bounded queue of handshake messages waiting for the node (as in wireguard-go): at most
 * {@link Node#HANDSHAKE_QUEUE_SIZE}, further ones are dropped and counted. Its depth drives the node's under-load
 * mode, as does a budget of Diffie-Hellmans a second ({@link Device#DH_HANDSHAKES_PER_SECOND}): a flood slow enough
 * never to build a backlog would otherwise cost a DH per message under the device lock. A round hands the node
 * {@link Device#HANDSHAKES_PER_ROUND} messages under load (each then costs a cookie reply at most) and
 * {@link Device#HANDSHAKES_PER_ROUND_NOT_UNDER_LOAD} otherwise. Not thread-safe: the device's lock guards it.
 */
final class HandshakeQueue {
    private record Queued(byte[] data, Endpoint from) {}

    private final ArrayDeque<Queued> queue = new ArrayDeque<>();
    private long drops;
    private long dhWindowStart;
    private int dhInWindow;

    /** Queues a copy of buf[0, len), or drops it when the queue is full. */
    void offer(byte[] buf, int len, Endpoint from) {
        if (queue.size() >= Node.HANDSHAKE_QUEUE_SIZE) {
            drops++;
        } else {
            queue.addLast(new Queued(Arrays.copyOf(buf, len), from));
        }
    }

    /** Tells the node the backlog (raised when over the DH budget), then hands it one round of queued messages. */
    void process(Node node, long now, dev.veil.core.Actions out) {
        if (now - dhWindowStart >= TimeUnit.SECONDS.toNanos(1)) {
            dhWindowStart = now;
            dhInWindow = 0;
        }
        int backlog = queue.size();
        // Over the DH budget, the node sees at least the under-load threshold, as if the backlog had built up.
        if (dhInWindow >= Device.DH_HANDSHAKES_PER_SECOND) backlog = Math.max(backlog, Node.HANDSHAKE_QUEUE_SIZE / 8);
        node.observeHandshakeBacklog(backlog);
        int round = node.underLoad() ? Device.HANDSHAKES_PER_ROUND : Device.HANDSHAKES_PER_ROUND_NOT_UNDER_LOAD;
        for (int i = 0; i < round && !queue.isEmpty(); i++) {
            Queued q = queue.pollFirst();
            if (costsDiffieHellman(node.receive(q.data, 0, q.data.length, q.from, out))) dhInWindow++;
        }
    }

    /** Whether a handshake message with this result got as far as a Diffie-Hellman (past mac1, no cookie asked). */
    private static boolean costsDiffieHellman(Result r) {
        return !(r == Result.Ok.COOKIE_SENT || r == Result.Dropped.BAD_MAC1 || r == Result.Dropped.MALFORMED
            || r == Result.Dropped.RATE_LIMITED || r == Result.Dropped.NO_PRIVATE_KEY
            || r == Result.Dropped.UNKNOWN_INDEX);
    }

    int size() { return queue.size(); }

    boolean isEmpty() { return queue.isEmpty(); }

    long drops() { return drops; }
}
