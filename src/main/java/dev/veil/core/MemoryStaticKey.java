package dev.veil.core;

import dev.veil.crypto.X25519;
import java.util.Arrays;

/** A {@link StaticKey} held in memory. Thread-safe for {@link #dh} after construction; {@link #wipe} zeroes it. */
public final class MemoryStaticKey implements StaticKey {
    private final byte[] privateKey;
    private final byte[] publicKey;

    /** Copies and clamps the 32-byte private key. */
    public MemoryStaticKey(byte[] privateKey) {
        if (privateKey.length != X25519.KEY_LEN) throw new IllegalArgumentException("private key must be 32 bytes");
        this.privateKey = X25519.clamp(privateKey.clone());
        this.publicKey = X25519.publicKey(this.privateKey);
    }

    @Override
    public byte[] publicKey() {
        return publicKey.clone();
    }

    @Override
    public boolean dh(byte[] peerPublic, byte[] out) {
        return X25519.sharedSecret(privateKey, peerPublic, out);
    }

    /** True when this key's private bytes equal the given (clamped) key, without exposing them. */
    public boolean sameAs(byte[] otherPrivate) {
        return java.security.MessageDigest.isEqual(privateKey, X25519.clamp(otherPrivate.clone()));
    }

    /**
     * A copy of the (clamped) private key, for the UAPI's {@code get}, which hands it to {@code wg showconf}. The
     * caller owns the copy and should wipe it after use. Other {@link StaticKey}s (a hardware key) cannot export.
     */
    public byte[] exportPrivateKey() {
        return privateKey.clone();
    }

    @Override
    public void wipe() {
        Arrays.fill(privateKey, (byte) 0);
    }

    @Override
    public String toString() {
        return "MemoryStaticKey(public only)";
    }
}
