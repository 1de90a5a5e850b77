package dev.veil.crypto;

import java.util.Arrays;

/**
 * The whitepaper's HKDF over HMAC-BLAKE2s: {@code KDFn(key, input)} with {@code prk = HMAC(key, input)},
 * {@code T1 = HMAC(prk, 0x01)} and {@code Ti = HMAC(prk, T(i-1) || i)}. Stateless and thread-safe.
 */
public final class Kdf {
    private Kdf() {}

    /** KDF1: one 32-byte output. */
    public static byte[] kdf1(byte[] key, byte[] input) {
        return kdf(key, input, 1)[0];
    }

    /** KDF2: two 32-byte outputs. */
    public static byte[][] kdf2(byte[] key, byte[] input) {
        return kdf(key, input, 2);
    }

    /** KDF3: three 32-byte outputs. */
    public static byte[][] kdf3(byte[] key, byte[] input) {
        return kdf(key, input, 3);
    }

    /** KDFn for n from 1 to 3. */
    public static byte[][] kdf(byte[] key, byte[] input, int n) {
        if (n < 1 || n > 3) throw new IllegalArgumentException("KDF outputs: " + n);
        byte[] prk = Blake2s.hmac(key, input);
        byte[][] out = new byte[n][];
        byte[] prev = new byte[0];
        for (int i = 0; i < n; i++) {
            prev = Blake2s.hmac(prk, prev, new byte[] {(byte) (i + 1)});
            out[i] = prev;
        }
        Arrays.fill(prk, (byte) 0);
        return out;
    }
}
