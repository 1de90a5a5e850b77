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
}
