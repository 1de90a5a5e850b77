package dev.veil.crypto;

import java.util.Objects;
import java.util.function.IntSupplier;

/**
 * An {@link Aead} that does its work in {@link #seal} and {@link #open} themselves (WireGuard's nonce from the
 * counter; a helper that hot would be compiled by C2 on its own as well as inlined) and takes a raw 12-byte RFC 8439
 * nonce for test vectors by a per-thread override: the raw-nonce methods put the nonce in the thread's slot, call
 * seal or open, and clear it. The OpenSSL and libgcrypt backends. Thread-safe when the slot is per thread.
 */
interface RawNonceOverride extends Aead {
    /** This thread's slot: when element 0 is not null, seal and open use it instead of the counter's nonce. */
    byte[][] rawNonceSlot();

    /** {@link #seal} with a raw 12-byte RFC 8439 nonce, for test vectors whose nonce is not WireGuard's layout. */
    default int sealWithNonce(byte[] key, byte[] nonce, byte[] src, int srcOff, int len, byte[] aad, byte[] dst,
            int dstOff) {
        return withRawNonce(nonce, () -> seal(key, 0, src, srcOff, len, aad, dst, dstOff));
    }

    /** {@link #open} with a raw 12-byte RFC 8439 nonce, for test vectors whose nonce is not WireGuard's layout. */
    default int openWithNonce(byte[] key, byte[] nonce, byte[] src, int srcOff, int len, byte[] aad, byte[] dst,
            int dstOff) {
        return withRawNonce(nonce, () -> open(key, 0, src, srcOff, len, aad, dst, dstOff));
    }

    private int withRawNonce(byte[] nonce, IntSupplier op) {
        Objects.checkFromIndexSize(0, 12, nonce.length);
        byte[][] slot = rawNonceSlot();
        slot[0] = nonce;
        try {
            return op.getAsInt();
        } finally {
            slot[0] = null;
        }
    }
}
