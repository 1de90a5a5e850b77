package dev.veil.core;

import java.nio.charset.StandardCharsets;

/** WireGuard's protocol constants, under the whitepaper's names. All durations are in nanoseconds. */
public final class Protocol {
    private Protocol() {}

    public static final byte[] CONSTRUCTION = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s".getBytes(StandardCharsets.US_ASCII);
    public static final byte[] IDENTIFIER = "WireGuard v1 zx2c4 Jason@zx2c4.com".getBytes(StandardCharsets.US_ASCII);
    public static final byte[] LABEL_MAC1 = "mac1----".getBytes(StandardCharsets.US_ASCII);
    public static final byte[] LABEL_COOKIE = "cookie--".getBytes(StandardCharsets.US_ASCII);

    private static final long SECOND = 1_000_000_000L;
    private static final long MILLISECOND = 1_000_000L;

    public static final long REKEY_AFTER_MESSAGES = 1L << 60;
    /** 2^64 - 2^13 - 1, an unsigned 64-bit value: compare with {@link Long#compareUnsigned}. */
    public static final long REJECT_AFTER_MESSAGES = -(1L << 13) - 1;
    public static final long REKEY_AFTER_TIME = 120 * SECOND;
    public static final long REJECT_AFTER_TIME = 180 * SECOND;
    public static final long REKEY_ATTEMPT_TIME = 90 * SECOND;
    public static final long REKEY_TIMEOUT = 5 * SECOND;
    /** Upper bound (exclusive) of the random jitter added to REKEY_TIMEOUT: 0 to 333 ms. */
    public static final long REKEY_TIMEOUT_JITTER = 334 * MILLISECOND;
    public static final long KEEPALIVE_TIMEOUT = 10 * SECOND;
    public static final long COOKIE_REFRESH_TIME = 120 * SECOND;
    /** Initiations from one peer closer together than this are dropped as a flood. */
    public static final long HANDSHAKE_INITIATION_RATE = 20 * MILLISECOND;
    /** Retries before giving up: REKEY_ATTEMPT_TIME / REKEY_TIMEOUT. */
    public static final int MAX_TIMER_HANDSHAKES = (int) (REKEY_ATTEMPT_TIME / REKEY_TIMEOUT);
    /** How long the under-load state lasts after the handshake backlog was last seen high. */
    public static final long UNDER_LOAD_AFTER_TIME = SECOND;

    /** Packets held per peer while it has no session. */
    public static final int MAX_STAGED_PACKETS = 128;
    public static final int PADDING_MULTIPLE = 16;

    public static final int MESSAGE_INITIATION = 1;
    public static final int MESSAGE_RESPONSE = 2;
    public static final int MESSAGE_COOKIE_REPLY = 3;
    public static final int MESSAGE_TRANSPORT = 4;

    public static final int INITIATION_SIZE = 148;
    public static final int RESPONSE_SIZE = 92;
    public static final int COOKIE_REPLY_SIZE = 64;
    public static final int TRANSPORT_HEADER_SIZE = 16;
    public static final int TAG_SIZE = 16;
    /** The smallest transport message: a keepalive, a header and a tag. */
    public static final int TRANSPORT_MIN_SIZE = TRANSPORT_HEADER_SIZE + TAG_SIZE;
    /** The whole overhead that a transport message adds to an inner packet (before padding). */
    public static final int TRANSPORT_OVERHEAD = TRANSPORT_HEADER_SIZE + TAG_SIZE;
}
