package dev.veil.crypto;

import java.security.SecureRandom;

/**
 * Curve25519 Diffie-Hellman (RFC 7748) on raw 32-byte keys, backed by BouncyCastle. Private keys are clamped as
 * {@code wg genkey} clamps them; an all-zero shared secret (a low-order public key) is rejected. Thread-safe.
 */
public final class X25519 {
    /** Length of private keys, public keys and shared secrets. */
    public static final int KEY_LEN = 32;

    private X25519() {}

    /** A new clamped private key from the given randomness. */
    public static byte[] generatePrivateKey(SecureRandom random) {
        byte[] k = new byte[KEY_LEN];
        random.nextBytes(k);
        return clamp(k);
    }

    /** Clamps a private key in place (clear bits 0-2 and 255, set bit 254) and returns it. */
    public static byte[] clamp(byte[] k) {
        k[0] &= (byte) 248;
        k[31] &= 127;
        k[31] |= 64;
        return k;
    }

    /** The public key of a private key. */
    public static byte[] publicKey(byte[] privateKey) {
        byte[] pub = new byte[KEY_LEN];
        org.bouncycastle.math.ec.rfc7748.X25519.generatePublicKey(privateKey, 0, pub, 0);
        return pub;
    }

    /**
     * Writes DH(privateKey, publicKey) into out[0, 32). Returns false, with out zeroed, when the result is all
     * zeros, which a low-order public key produces.
     */
    public static boolean sharedSecret(byte[] privateKey, byte[] publicKey, byte[] out) {
        boolean ok = org.bouncycastle.math.ec.rfc7748.X25519.calculateAgreement(privateKey, 0, publicKey, 0, out, 0);
        if (!ok) java.util.Arrays.fill(out, 0, KEY_LEN, (byte) 0);
        return ok;
    }
}
