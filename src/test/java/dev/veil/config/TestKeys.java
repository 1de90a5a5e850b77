package dev.veil.config;

import java.util.Base64;

/** Test helper: distinct, recognisable 32-byte keys and their base64 text. */
final class TestKeys {
    private TestKeys() {}

    /** 32 bytes: {@code seed, seed + 1, ...}. */
    static byte[] key(int seed) {
        byte[] k = new byte[32];
        for (int i = 0; i < k.length; i++) k[i] = (byte) (seed + i);
        return k;
    }

    static String base64(int seed) {
        return Base64.getEncoder().encodeToString(key(seed));
    }
}
