package dev.veil.core;

/**
 * The interface's static X25519 key. Every Diffie-Hellman with the static private key goes through {@link #dh}, so
 * the handshake never reads the private key's bytes (a hardware token can implement this later).
 */
public interface StaticKey {
    /** The 32-byte public key. */
    byte[] publicKey();

    /** Writes DH(static private, peerPublic) into out[0, 32); false when the result is all zeros. */
    boolean dh(byte[] peerPublic, byte[] out);

    /** Overwrites the private key material; the key is unusable afterwards. */
    void wipe();
}
