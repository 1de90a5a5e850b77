package dev.veil.core;

import dev.veil.crypto.Blake2s;
import dev.veil.crypto.XChaCha20Poly1305;
import java.util.Arrays;

/**
 * The sender's side of the DoS defence, keyed by one peer's public key: it writes mac1 on every handshake message
 * to that peer, mac2 while it holds a cookie younger than COOKIE_REFRESH_TIME, and consumes that peer's cookie
 * replies. Owned by its {@link Peer}; not thread-safe.
 */
final class CookieGenerator {
    private final byte[] mac1Key;
    private final byte[] cookieKey;
    private final byte[] cookie = new byte[16];
    private long cookieSet;
    private boolean hasCookie;
    private final byte[] lastMac1 = new byte[16];
    private boolean hasLastMac1;

    CookieGenerator(byte[] peerPublicKey) {
        this.mac1Key = Blake2s.hash(Protocol.LABEL_MAC1, peerPublicKey);
        this.cookieKey = Blake2s.hash(Protocol.LABEL_COOKIE, peerPublicKey);
    }

    /** Fills mac1 and mac2 of the handshake message msg[0, len). */
    void addMacs(byte[] msg, int len, long now) {
        int m1 = Messages.mac1Offset(len);
        Blake2s.mac(mac1Key, msg, 0, m1, msg, m1);
        System.arraycopy(msg, m1, lastMac1, 0, 16);
        hasLastMac1 = true;
        int m2 = m1 + 16;
        if (hasCookie && now - cookieSet <= Protocol.COOKIE_REFRESH_TIME) {
            Blake2s.mac(cookie, msg, 0, m2, msg, m2);
        } else {
            Arrays.fill(msg, m2, m2 + 16, (byte) 0);
        }
    }

    /** Decrypts a cookie reply to our last handshake message; false when it is not one. */
    boolean consumeReply(byte[] msg, int off, long now) {
        if (!hasLastMac1) return false;
        byte[] nonce = Arrays.copyOfRange(msg, off + Messages.COOKIE_NONCE, off + Messages.COOKIE_ENC);
        byte[] enc = Arrays.copyOfRange(msg, off + Messages.COOKIE_ENC, off + Protocol.COOKIE_REPLY_SIZE);
        byte[] c = XChaCha20Poly1305.open(cookieKey, nonce, enc, lastMac1);
        if (c == null) return false;
        System.arraycopy(c, 0, cookie, 0, 16);
        cookieSet = now;
        hasCookie = true;
        hasLastMac1 = false;
        return true;
    }

    boolean hasFreshCookie(long now) {
        return hasCookie && now - cookieSet <= Protocol.COOKIE_REFRESH_TIME;
    }
}
