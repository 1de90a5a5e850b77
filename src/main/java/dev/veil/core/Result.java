package dev.veil.core;

/**
 * What the core did with one input: handled ({@link Ok}) or dropped for a reason ({@link Dropped}). Network input
 * never raises an exception; a malformed or unauthenticated datagram is a {@code Dropped} value, which the device
 * counts.
 */
public sealed interface Result permits Result.Ok, Result.Dropped {
    /** The input was handled. */
    enum Ok implements Result {
        /** A transport message carried an inner packet, which was delivered. */
        DATA,
        /** A transport message was a keepalive. */
        KEEPALIVE,
        /** A handshake initiation was consumed and answered. */
        INITIATION,
        /** A handshake response was consumed; a session is established. */
        RESPONSE,
        /** A cookie reply was consumed. */
        COOKIE_REPLY,
        /** Under load: a handshake message without a valid mac2 was answered with a cookie reply, not processed. */
        COOKIE_SENT,
        /** An outgoing packet was encrypted and sent. */
        SENT,
        /** An outgoing packet was held until a session exists. */
        STAGED
    }

    /** The input was dropped; nothing was sent in reply. */
    enum Dropped implements Result {
        MALFORMED, UNKNOWN_TYPE, BAD_MAC1, RATE_LIMITED, UNKNOWN_PEER, UNKNOWN_INDEX, DECRYPT_FAILED,
        STALE_TIMESTAMP, FLOOD, UNEXPECTED_RESPONSE, REPLAYED, KEY_EXPIRED, BAD_INNER_PACKET, DISALLOWED_SOURCE,
        NO_ROUTE, NO_PRIVATE_KEY, BAD_COOKIE_REPLY, TOO_LARGE
    }
}
