package dev.veil.crypto;

/**
 * ChaCha20-Poly1305 (RFC 8439) with WireGuard's nonce: four zero bytes, then a 64-bit little-endian counter.
 * One small interface so that backends can be swapped; {@link #defaultBackend()} picks one. Implementations are
 * thread-safe (each keeps per-thread state if it needs any). Callers own every buffer; input and output may be the
 * same array only when {@code srcOff == dstOff}.
 */
public interface Aead {
    /** Length of the Poly1305 tag. */
    int TAG_LEN = 16;
    /** Length of a key. */
    int KEY_LEN = 32;

    /** A short name for logs and benchmarks. */
    String name();

    /**
     * Encrypts src[srcOff, srcOff+len) under (key, counter) with additional data aad (may be null or empty) into
     * dst at dstOff, followed by the tag. Returns the bytes written, {@code len + TAG_LEN}.
     */
    int seal(byte[] key, long counter, byte[] src, int srcOff, int len, byte[] aad, byte[] dst, int dstOff);

    /**
     * Decrypts and authenticates src[srcOff, srcOff+len) (ciphertext then tag) into dst at dstOff. Returns the
     * plaintext length, or -1 when the input is shorter than a tag or does not authenticate; then dst holds no
     * unauthenticated plaintext.
     */
    int open(byte[] key, long counter, byte[] src, int srcOff, int len, byte[] aad, byte[] dst, int dstOff);

    /**
     * The backend used when nothing else is chosen, picked once per JVM and logged in one line: libgcrypt
     * ({@link GcryptChaCha20Poly1305}) when it loads and passes a self-test against the JDK, else OpenSSL's libcrypto
     * ({@link OpenSslChaCha20Poly1305}) on the same terms, else the JDK's cipher ({@link JdkChaCha20Poly1305}), which
     * is always there. The system property {@code veil.aead} forces one: {@code jdk}, {@code bouncycastle},
     * {@code openssl}, {@code libsodium} or {@code libgcrypt} (the native ones still fall back to the JDK when
     * unavailable).
     */
    static Aead defaultBackend() {
        return AeadSelection.DEFAULT;
    }

    /** Writes WireGuard's 12-byte nonce for a counter into out. */
    static void nonce(long counter, byte[] out) {
        out[0] = 0; out[1] = 0; out[2] = 0; out[3] = 0;
        for (int i = 0; i < 8; i++) out[4 + i] = (byte) (counter >>> (8 * i));
    }
}
