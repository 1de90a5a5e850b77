package dev.veil.crypto;

import java.util.Arrays;

/**
 * XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha): HChaCha20 derives a subkey from the key and the first 16 bytes of
 * the 24-byte nonce, then ChaCha20-Poly1305 runs with nonce {@code 0^4 || nonce[16..24]}. WireGuard uses it only for
 * cookie replies, so it favours clarity over speed. Stateless and thread-safe.
 */
public final class XChaCha20Poly1305 {
    /** Length of the extended nonce. */
    public static final int NONCE_LEN = 24;

    private XChaCha20Poly1305() {}

    /** Encrypts plaintext; returns ciphertext || tag. */
    public static byte[] seal(byte[] key, byte[] nonce, byte[] plaintext, byte[] aad) {
        checkNonce(nonce);
        byte[] subkey = hchacha20(key, nonce);
        byte[] out = new byte[plaintext.length + Aead.TAG_LEN];
        Aead.defaultBackend().seal(subkey, counter(nonce), plaintext, 0, plaintext.length, aad, out, 0);
        Arrays.fill(subkey, (byte) 0);
        return out;
    }

    /** Decrypts ciphertext || tag; returns the plaintext, or null when it does not authenticate. */
    public static byte[] open(byte[] key, byte[] nonce, byte[] ciphertext, byte[] aad) {
        checkNonce(nonce);
        if (ciphertext.length < Aead.TAG_LEN) return null;
        byte[] subkey = hchacha20(key, nonce);
        byte[] out = new byte[ciphertext.length - Aead.TAG_LEN];
        int n = Aead.defaultBackend().open(subkey, counter(nonce), ciphertext, 0, ciphertext.length, aad, out, 0);
        Arrays.fill(subkey, (byte) 0);
        return n < 0 ? null : out;
    }

    private static void checkNonce(byte[] nonce) {
        if (nonce.length != NONCE_LEN) throw new IllegalArgumentException("XChaCha20 nonce must be 24 bytes");
    }

    /** The last 8 nonce bytes as the little-endian counter of WireGuard's 12-byte nonce layout. */
    private static long counter(byte[] nonce) {
        long c = 0;
        for (int i = 0; i < 8; i++) c |= (nonce[16 + i] & 0xffL) << (8 * i);
        return c;
    }

    /** HChaCha20(key, nonce[0..16]): the 32-byte subkey. */
    public static byte[] hchacha20(byte[] key, byte[] nonce) {
        int[] x = new int[16];
        x[0] = 0x61707865; x[1] = 0x3320646e; x[2] = 0x79622d32; x[3] = 0x6b206574;
        for (int i = 0; i < 8; i++) x[4 + i] = le32(key, 4 * i);
        for (int i = 0; i < 4; i++) x[12 + i] = le32(nonce, 4 * i);
        for (int r = 0; r < 10; r++) {
            quarter(x, 0, 4, 8, 12); quarter(x, 1, 5, 9, 13); quarter(x, 2, 6, 10, 14); quarter(x, 3, 7, 11, 15);
            quarter(x, 0, 5, 10, 15); quarter(x, 1, 6, 11, 12); quarter(x, 2, 7, 8, 13); quarter(x, 3, 4, 9, 14);
        }
        byte[] out = new byte[32];
        for (int i = 0; i < 4; i++) { put32(out, 4 * i, x[i]); put32(out, 16 + 4 * i, x[12 + i]); }
        Arrays.fill(x, 0);
        return out;
    }

    private static void quarter(int[] x, int a, int b, int c, int d) {
        x[a] += x[b]; x[d] = Integer.rotateLeft(x[d] ^ x[a], 16);
        x[c] += x[d]; x[b] = Integer.rotateLeft(x[b] ^ x[c], 12);
        x[a] += x[b]; x[d] = Integer.rotateLeft(x[d] ^ x[a], 8);
        x[c] += x[d]; x[b] = Integer.rotateLeft(x[b] ^ x[c], 7);
    }

    private static int le32(byte[] b, int o) {
        return (b[o] & 0xff) | (b[o + 1] & 0xff) << 8 | (b[o + 2] & 0xff) << 16 | (b[o + 3] & 0xff) << 24;
    }

    private static void put32(byte[] b, int o, int v) {
        b[o] = (byte) v; b[o + 1] = (byte) (v >>> 8); b[o + 2] = (byte) (v >>> 16); b[o + 3] = (byte) (v >>> 24);
    }
}
