package dev.veil.crypto;

import java.util.Arrays;

/**
 * TAI64N timestamps as WireGuard sends them in initiations: 8 bytes of big-endian seconds
 * ({@code 0x400000000000000a + unix seconds}), then 4 bytes of big-endian nanoseconds with the low 24 bits cleared,
 * so that a timestamp reveals little about the sender's clock. Stateless and thread-safe.
 */
public final class Tai64n {
    /** Encoded length. */
    public static final int LEN = 12;
    /** TAI64 label of the unix epoch, with the 10 s TAI-UTC offset WireGuard uses. */
    static final long BASE = 0x400000000000000aL;
    /** Nanosecond bits that are cleared (whitening). */
    static final int WHITENER_MASK = 0x1000000 - 1;

    private Tai64n() {}

    /** The timestamp of a wall-clock instant in nanoseconds since the unix epoch. */
    public static byte[] encode(long epochNanos) {
        long secs = Math.floorDiv(epochNanos, 1_000_000_000L);
        int nanos = (int) Math.floorMod(epochNanos, 1_000_000_000L) & ~WHITENER_MASK;
        byte[] out = new byte[LEN];
        long s = BASE + secs;
        for (int i = 0; i < 8; i++) out[i] = (byte) (s >>> (56 - 8 * i));
        for (int i = 0; i < 4; i++) out[8 + i] = (byte) (nanos >>> (24 - 8 * i));
        return out;
    }

    /** True when a is strictly later than b (both 12-byte encodings; big-endian compares bytewise). */
    public static boolean after(byte[] a, byte[] b) {
        return Arrays.compareUnsigned(a, 0, LEN, b, 0, LEN) > 0;
    }
}
