package dev.veil.crypto;

import java.util.Arrays;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/** {@link Aead} backed by BouncyCastle's ChaCha20-Poly1305. Thread-safe: one engine per thread. */
public final class BcChaCha20Poly1305 implements RawNonceAead {
    /** The single instance. */
    public static final BcChaCha20Poly1305 INSTANCE = new BcChaCha20Poly1305();

    private static final ThreadLocal<ChaCha20Poly1305> ENGINE = ThreadLocal.withInitial(ChaCha20Poly1305::new);

    private BcChaCha20Poly1305() {}

    @Override
    public String name() {
        return "bouncycastle";
    }

    @Override
    public int sealWithNonce(byte[] key, byte[] nonce, byte[] src, int srcOff, int len, byte[] aad, byte[] dst,
            int dstOff) {
        ChaCha20Poly1305 c = init(true, key, nonce, aad);
        int n = c.processBytes(src, srcOff, len, dst, dstOff);
        try {
            return n + c.doFinal(dst, dstOff + n);
        } catch (InvalidCipherTextException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 seal failed", e);
        }
    }

    @Override
    public int openWithNonce(byte[] key, byte[] nonce, byte[] src, int srcOff, int len, byte[] aad, byte[] dst,
            int dstOff) {
        if (len < TAG_LEN) return -1;
        ChaCha20Poly1305 c = init(false, key, nonce, aad);
        int n = c.processBytes(src, srcOff, len, dst, dstOff);
        try {
            return n + c.doFinal(dst, dstOff + n);
        } catch (InvalidCipherTextException e) {
            // BouncyCastle decrypts as it goes and checks the tag last: wipe the unauthenticated plaintext.
            Arrays.fill(dst, dstOff, dstOff + len - TAG_LEN, (byte) 0);
            return -1;
        }
    }

    private static ChaCha20Poly1305 init(boolean encrypt, byte[] key, byte[] nonce, byte[] aad) {
        ChaCha20Poly1305 c = ENGINE.get();
        AEADParameters params = new AEADParameters(new KeyParameter(key), 128, nonce, aad);
        try {
            c.init(encrypt, params);
        } catch (IllegalArgumentException e) {
            // BouncyCastle refuses to encrypt twice in a row with one key and nonce on one engine; start afresh.
            c = new ChaCha20Poly1305();
            ENGINE.set(c);
            c.init(encrypt, params);
        }
        return c;
    }
}
