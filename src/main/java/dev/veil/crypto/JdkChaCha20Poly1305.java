package dev.veil.crypto;

import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * {@link Aead} backed by the JDK's {@code ChaCha20-Poly1305} cipher: always available, the fallback backend.
 * Thread-safe: one {@link Cipher} per thread.
 */
public final class JdkChaCha20Poly1305 implements Aead {
    /** The single instance. */
    public static final JdkChaCha20Poly1305 INSTANCE = new JdkChaCha20Poly1305();

    private static final ThreadLocal<State> STATE = ThreadLocal.withInitial(State::new);

    private static final class State {
        Cipher cipher = newCipher();
        final byte[] nonce = new byte[12];
    }

    private JdkChaCha20Poly1305() {}

    private static Cipher newCipher() {
        try {
            return Cipher.getInstance("ChaCha20-Poly1305");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no ChaCha20-Poly1305", e);
        }
    }

    @Override
    public String name() {
        return "jdk";
    }

    @Override
    public int seal(byte[] key, long counter, byte[] src, int srcOff, int len, byte[] aad, byte[] dst, int dstOff) {
        State s = STATE.get();
        Aead.nonce(counter, s.nonce);
        return seal(s, key, s.nonce, src, srcOff, len, aad, dst, dstOff);
    }

    @Override
    public int open(byte[] key, long counter, byte[] src, int srcOff, int len, byte[] aad, byte[] dst, int dstOff) {
        State s = STATE.get();
        Aead.nonce(counter, s.nonce);
        return open(s, key, s.nonce, src, srcOff, len, aad, dst, dstOff);
    }

    /** {@link #seal} with a raw 12-byte RFC 8439 nonce, for test vectors whose nonce is not WireGuard's layout. */
    int sealWithNonce(byte[] key, byte[] nonce, byte[] src, int srcOff, int len, byte[] aad, byte[] dst, int dstOff) {
        return seal(STATE.get(), key, nonce, src, srcOff, len, aad, dst, dstOff);
    }

    /** {@link #open} with a raw 12-byte RFC 8439 nonce, for test vectors whose nonce is not WireGuard's layout. */
    int openWithNonce(byte[] key, byte[] nonce, byte[] src, int srcOff, int len, byte[] aad, byte[] dst, int dstOff) {
        return open(STATE.get(), key, nonce, src, srcOff, len, aad, dst, dstOff);
    }

    private static int seal(State s, byte[] key, byte[] nonce, byte[] src, int srcOff, int len, byte[] aad,
            byte[] dst, int dstOff) {
        try {
            init(s, Cipher.ENCRYPT_MODE, key, nonce);
            if (aad != null && aad.length > 0) s.cipher.updateAAD(aad);
            return s.cipher.doFinal(src, srcOff, len, dst, dstOff);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 seal failed", e);
        }
    }

    private static int open(State s, byte[] key, byte[] nonce, byte[] src, int srcOff, int len, byte[] aad,
            byte[] dst, int dstOff) {
        if (len < TAG_LEN) return -1;
        try {
            init(s, Cipher.DECRYPT_MODE, key, nonce);
            if (aad != null && aad.length > 0) s.cipher.updateAAD(aad);
            // The JDK checks the tag before it decrypts, so a failed open writes nothing into dst.
            return s.cipher.doFinal(src, srcOff, len, dst, dstOff);
        } catch (AEADBadTagException e) {
            return -1;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 open failed", e);
        }
    }

    private static void init(State s, int mode, byte[] key, byte[] nonce) throws GeneralSecurityException {
        SecretKeySpec k = new SecretKeySpec(key, "ChaCha20");
        IvParameterSpec iv = new IvParameterSpec(nonce);
        try {
            s.cipher.init(mode, k, iv);
        } catch (java.security.InvalidKeyException e) {
            // The JDK refuses to encrypt twice in a row with the same key and nonce on one Cipher object.
            // WireGuard never does that on the wire, but a caller may legitimately repeat a seal; start afresh.
            s.cipher = newCipher();
            s.cipher.init(mode, k, iv);
        }
    }
}
