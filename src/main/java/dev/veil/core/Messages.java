package dev.veil.core;

import static dev.veil.core.Protocol.*;

/**
 * The wire layout of WireGuard's four messages (all little-endian; a 1-byte type then 3 zero bytes) and the size
 * checks that every received datagram passes before anything else looks at it. Stateless.
 */
final class Messages {
    private Messages() {}

    // Initiation (148): sender 4, ephemeral 8, enc_static 40, enc_timestamp 88, mac1 116, mac2 132.
    static final int INIT_SENDER = 4, INIT_NOISE = 8, INIT_MAC1 = 116, INIT_MAC2 = 132;
    // Response (92): sender 4, receiver 8, ephemeral 12, enc_empty 44, mac1 60, mac2 76.
    static final int RESP_SENDER = 4, RESP_RECEIVER = 8, RESP_NOISE = 12, RESP_MAC1 = 60, RESP_MAC2 = 76;
    // Cookie reply (64): receiver 4, nonce 8, enc_cookie 32.
    static final int COOKIE_RECEIVER = 4, COOKIE_NONCE = 8, COOKIE_ENC = 32;
    // Transport: receiver 4, counter 8, ciphertext 16.
    static final int DATA_RECEIVER = 4, DATA_COUNTER = 8, DATA_PAYLOAD = 16;

    /**
     * The message type of a datagram when its header and size are valid for that type, else a {@link Result.Dropped}
     * reason through {@code -1 - reason.ordinal()}. Use {@link #dropReason} to decode a negative value.
     */
    static int check(byte[] b, int off, int len) {
        if (len < 4) return -1 - Result.Dropped.MALFORMED.ordinal();
        int type = u32(b, off);
        int want = switch (type) {
            case MESSAGE_INITIATION -> INITIATION_SIZE;
            case MESSAGE_RESPONSE -> RESPONSE_SIZE;
            case MESSAGE_COOKIE_REPLY -> COOKIE_REPLY_SIZE;
            case MESSAGE_TRANSPORT -> -1;
            default -> -2;
        };
        if (want == -2) return -1 - Result.Dropped.UNKNOWN_TYPE.ordinal();
        boolean ok = want == -1 ? len >= TRANSPORT_MIN_SIZE : len == want;
        return ok ? type : -1 - Result.Dropped.MALFORMED.ordinal();
    }

    static Result.Dropped dropReason(int checked) {
        return Result.Dropped.values()[-1 - checked];
    }

    static void header(byte[] b, int off, int type) {
        b[off] = (byte) type; b[off + 1] = 0; b[off + 2] = 0; b[off + 3] = 0;
    }

    static int u32(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }

    static void putU32(byte[] b, int off, int v) {
        b[off] = (byte) v; b[off + 1] = (byte) (v >>> 8); b[off + 2] = (byte) (v >>> 16); b[off + 3] = (byte) (v >>> 24);
    }

    static long u64(byte[] b, int off) {
        return (u32(b, off) & 0xffffffffL) | ((long) u32(b, off + 4)) << 32;
    }

    static void putU64(byte[] b, int off, long v) {
        putU32(b, off, (int) v);
        putU32(b, off + 4, (int) (v >>> 32));
    }

    /** Offset of mac1 within a handshake message of the given size (148 or 92). */
    static int mac1Offset(int size) {
        return size - 32;
    }
}
