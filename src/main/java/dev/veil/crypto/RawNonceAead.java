package dev.veil.crypto;

/**
 * An {@link Aead} whose work is done by methods that take a raw 12-byte RFC 8439 nonce (test vectors use them
 * directly); {@link #seal} and {@link #open} write WireGuard's nonce for the counter into a per-thread buffer and
 * call them. Thread-safe when the implementation's raw-nonce methods are.
 */
interface RawNonceAead extends Aead {
    /** {@link #seal} with a raw 12-byte RFC 8439 nonce. */
    int sealWithNonce(byte[] key, byte[] nonce, byte[] src, int srcOff, int len, byte[] aad, byte[] dst, int dstOff);

    /** {@link #open} with a raw 12-byte RFC 8439 nonce. */
    int openWithNonce(byte[] key, byte[] nonce, byte[] src, int srcOff, int len, byte[] aad, byte[] dst, int dstOff);

    @Override
    default int seal(byte[] key, long counter, byte[] src, int srcOff, int len, byte[] aad, byte[] dst, int dstOff) {
        return sealWithNonce(key, Nonce.of(counter), src, srcOff, len, aad, dst, dstOff);
    }

    @Override
    default int open(byte[] key, long counter, byte[] src, int srcOff, int len, byte[] aad, byte[] dst, int dstOff) {
        return openWithNonce(key, Nonce.of(counter), src, srcOff, len, aad, dst, dstOff);
    }

    /** The per-thread nonce buffer. */
    final class Nonce {
        private static final ThreadLocal<byte[]> BUFFER = ThreadLocal.withInitial(() -> new byte[12]);

        private Nonce() {}

        /** This thread's buffer, holding WireGuard's nonce for the counter. */
        static byte[] of(long counter) {
            byte[] nonce = BUFFER.get();
            Aead.nonce(counter, nonce);
            return nonce;
        }
    }
}
