package dev.veil.core;

/**
 * Observer of a node's protocol events, for logs, audit and hooks. Called synchronously on the thread that drives
 * the node, so implementations must be quick and must not call back into the node. Never given key material.
 */
public interface NodeEvents {
    /** Does nothing. */
    NodeEvents NONE = new NodeEvents() {};

    /** An initiation was sent to the peer. */
    default void handshakeInitiated(Peer peer, Endpoint to) {}

    /** A session was established with the peer; {@code initiator} tells our role. */
    default void handshakeCompleted(Peer peer, boolean initiator, Endpoint endpoint) {}

    /** The peer's endpoint moved (roaming). */
    default void endpointChanged(Peer peer, Endpoint from, Endpoint to) {}

    /** The peer's keys were zeroed after 3 x REJECT_AFTER_TIME without a new session. */
    default void keysZeroed(Peer peer) {}

    /** The peer stopped retrying a handshake after REKEY_ATTEMPT_TIME. */
    default void handshakeGaveUp(Peer peer) {}

    /**
     * A handshake message (initiation or response) from {@code from} was not processed: {@code reason} is a
     * {@link Result.Dropped} value, or {@link Result.Ok#COOKIE_SENT} when it was answered with a cookie reply under
     * load. Called for every such datagram, so under a flood it runs at line rate: aggregate, never log each call.
     * {@code nanoTime} is the node's monotonic clock.
     */
    default void handshakeRejected(Result reason, Endpoint from, long nanoTime) {}
}
