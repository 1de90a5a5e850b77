package dev.veil.core;

import dev.veil.crypto.Aead;
import dev.veil.crypto.Blake2s;
import dev.veil.crypto.Kdf;
import dev.veil.crypto.X25519;
import java.util.Arrays;

/**
 * The Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s pattern, with its chaining key and hash:
 * <pre>
 *   &lt;- s
 *   ...
 *   -&gt; e, es, s, ss
 *   &lt;- e, ee, se, psk
 * </pre>
 * Generic in the prologue and payloads so the Noise project's test vectors exercise exactly the code the WireGuard
 * handshake runs; {@link Handshake} adds WireGuard's framing. Ephemeral keys are passed in. One instance is one
 * side of one handshake; not thread-safe. Each cipher key is used once, so the AEAD nonce is always 0.
 */
final class NoiseIk {
    static final int KEY = 32;
    private static final byte[] EMPTY = new byte[0];
    /** Ci = HASH(CONSTRUCTION); since the name is longer than 32 bytes, h starts equal to it. */
    static final byte[] INITIAL_CHAIN_KEY = Blake2s.hash(Protocol.CONSTRUCTION);

    private final Aead aead;
    byte[] chainKey;
    byte[] hash;
    private byte[] key;

    private NoiseIk(Aead aead, byte[] prologue, byte[] responderStatic) {
        this.aead = aead;
        this.chainKey = INITIAL_CHAIN_KEY.clone();
        this.hash = INITIAL_CHAIN_KEY.clone();
        mixHash(prologue);
        mixHash(responderStatic);
    }

    private NoiseIk(NoiseIk other) {
        this.aead = other.aead;
        this.chainKey = other.chainKey.clone();
        this.hash = other.hash.clone();
        this.key = other.key == null ? null : other.key.clone();
    }

    /** An independent copy, so a message that fails to authenticate leaves the original state untouched. */
    NoiseIk copy() {
        return new NoiseIk(this);
    }

    /** The state both sides start from: h = HASH(HASH(Ci || prologue) || responder's static public key). */
    static NoiseIk start(Aead aead, byte[] prologue, byte[] responderStatic) {
        return new NoiseIk(aead, prologue, responderStatic);
    }

    void mixHash(byte[] data) {
        hash = Blake2s.hash(hash, data);
    }

    private void mixHash(byte[] data, int off, int len) {
        mixHash(Arrays.copyOfRange(data, off, off + len));
    }

    private void mixKey(byte[] input) {
        byte[][] t = Kdf.kdf2(chainKey, input);
        chainKey = t[0];
        key = t[1];
    }

    private void mixKeyAndHash(byte[] psk) {
        byte[][] t = Kdf.kdf3(chainKey, psk);
        chainKey = t[0];
        mixHash(t[1]);
        key = t[2];
    }

    private int encryptAndHash(byte[] p, int pOff, int pLen, byte[] out, int off) {
        int n = aead.seal(key, 0, p, pOff, pLen, hash, out, off);
        mixHash(out, off, n);
        return n;
    }

    /** Returns the plaintext length, or -1 when the ciphertext does not authenticate. */
    private int decryptAndHash(byte[] c, int cOff, int cLen, byte[] out, int outOff) {
        int n = aead.open(key, 0, c, cOff, cLen, hash, out, outOff);
        if (n < 0) return -1;
        mixHash(c, cOff, cLen);
        return n;
    }

    /** The e token: mixHash(e) and, in psk mode, mixKey(e). */
    private void ephemeral(byte[] ePub) {
        mixHash(ePub);
        mixKey(ePub);
    }

    /** Mixes DH(priv, pub) into the key; false when it is all zeros. */
    private boolean mixDh(byte[] priv, byte[] pub) {
        byte[] shared = new byte[KEY];
        if (!X25519.sharedSecret(priv, pub, shared)) return false;
        mixKey(shared);
        Arrays.fill(shared, (byte) 0);
        return true;
    }

    /** Mixes DH(static, pub) into the key; false when it is all zeros. */
    private boolean mixDh(StaticKey s, byte[] pub) {
        byte[] shared = new byte[KEY];
        if (!s.dh(pub, shared)) return false;
        mixKey(shared);
        Arrays.fill(shared, (byte) 0);
        return true;
    }

    /**
     * Initiator, message A: e, es, s, ss, then the payload. Writes e.pub (32), enc(s) (48) and enc(payload)
     * (payload + 16) at out[off]. {@code staticStatic} is DH(s, rs), which the caller may have precomputed.
     * Returns the bytes written, or -1 when a DH is all zeros.
     */
    int writeMessageA(byte[] ePriv, byte[] responderStatic, StaticKey s, byte[] staticStatic,
                      byte[] payload, byte[] out, int off) {
        byte[] ePub = X25519.publicKey(ePriv);
        System.arraycopy(ePub, 0, out, off, KEY);
        ephemeral(ePub);
        if (!mixDh(ePriv, responderStatic)) return -1;
        byte[] sPub = s.publicKey();
        int n = KEY + encryptAndHash(sPub, 0, KEY, out, off + KEY);
        if (isZero(staticStatic)) return -1;
        mixKey(staticStatic);
        n += encryptAndHash(payload, 0, payload.length, out, off + n);
        return n;
    }

    /**
     * Responder, first half of message A: e, es, s. Returns the initiator's static public key, or null when the
     * message does not authenticate. {@code ePubOut} receives the initiator's ephemeral key.
     */
    byte[] readMessageAStatic(StaticKey s, byte[] msg, int off, byte[] ePubOut) {
        System.arraycopy(msg, off, ePubOut, 0, KEY);
        ephemeral(ePubOut);
        if (!mixDh(s, ePubOut)) return null;
        byte[] rs = new byte[KEY];
        return decryptAndHash(msg, off + KEY, KEY + Aead.TAG_LEN, rs, 0) == KEY ? rs : null;
    }

    /**
     * Responder, second half of message A: ss and the payload of payloadLen bytes at msg[off + 80]. Returns the
     * payload, or null when it does not authenticate or staticStatic is all zeros.
     */
    byte[] readMessageAPayload(byte[] staticStatic, byte[] msg, int off, int payloadLen) {
        if (isZero(staticStatic)) return null;
        mixKey(staticStatic);
        byte[] p = new byte[payloadLen];
        int at = off + KEY + KEY + Aead.TAG_LEN;
        return decryptAndHash(msg, at, payloadLen + Aead.TAG_LEN, p, 0) == payloadLen ? p : null;
    }

    /**
     * Responder, message B: e, ee, se, psk, then the payload. Writes e.pub (32) and enc(payload) at out[off].
     * Returns the bytes written, or -1 when a DH is all zeros.
     */
    int writeMessageB(byte[] ePriv, byte[] initiatorEphemeral, byte[] initiatorStatic, byte[] psk,
                      byte[] payload, byte[] out, int off) {
        byte[] ePub = X25519.publicKey(ePriv);
        System.arraycopy(ePub, 0, out, off, KEY);
        ephemeral(ePub);
        if (!mixDh(ePriv, initiatorEphemeral)) return -1;
        if (!mixDh(ePriv, initiatorStatic)) return -1;
        mixKeyAndHash(psk);
        return KEY + encryptAndHash(payload, 0, payload.length, out, off + KEY);
    }

    /**
     * Initiator, message B: e, ee, se, psk and a payload of payloadLen bytes. Returns the payload, or null when the
     * message does not authenticate.
     */
    byte[] readMessageB(byte[] ePriv, StaticKey s, byte[] psk, byte[] msg, int off, int payloadLen) {
        byte[] re = Arrays.copyOfRange(msg, off, off + KEY);
        ephemeral(re);
        if (!mixDh(ePriv, re)) return null;
        if (!mixDh(s, re)) return null;
        mixKeyAndHash(psk);
        byte[] p = new byte[payloadLen];
        return decryptAndHash(msg, off + KEY, payloadLen + Aead.TAG_LEN, p, 0) == payloadLen ? p : null;
    }

    /** Split: the initiator's sending key and its receiving key, KDF2(ck, ""). Wipes the chaining key. */
    byte[][] split() {
        byte[][] t = Kdf.kdf2(chainKey, EMPTY);
        wipe();
        return t;
    }

    void wipe() {
        Arrays.fill(chainKey, (byte) 0);
        Arrays.fill(hash, (byte) 0);
        if (key != null) Arrays.fill(key, (byte) 0);
    }

    static boolean isZero(byte[] b) {
        int acc = 0;
        for (byte x : b) acc |= x;
        return acc == 0;
    }
}
