package dev.veil.core;

import dev.veil.crypto.Blake2s;
import dev.veil.crypto.XChaCha20Poly1305;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * The responder's side of WireGuard's DoS defence, keyed by the interface's own public key: it checks mac1 on every
 * handshake message, checks mac2 against the cookie of the source address when under load, and writes cookie
 * replies. The cookie secret is random and renewed every COOKIE_REFRESH_TIME. Not thread-safe.
 */
final class CookieChecker {
    private final byte[] mac1Key;
    private final byte[] cookieKey;
    private final SecureRandom random;
    private final byte[] secret = new byte[32];
    private long secretSet;
    private boolean hasSecret;

    CookieChecker(byte[] localPublicKey, SecureRandom random) {
        this.mac1Key = Blake2s.hash(Protocol.LABEL_MAC1, localPublicKey);
        this.cookieKey = Blake2s.hash(Protocol.LABEL_COOKIE, localPublicKey);
        this.random = random;
    }

    /** True when mac1 of the handshake message msg[off, off+len) is valid. */
    boolean checkMac1(byte[] msg, int off, int len) {
        int m1 = Messages.mac1Offset(len);
        byte[] want = Blake2s.mac(mac1Key, msg, off, m1);
        return MessageDigest.isEqual(want, Arrays.copyOfRange(msg, off + m1, off + m1 + 16));
    }

    /** True when mac2 is the MAC under a current cookie for the source; false once the secret has aged out. */
    boolean checkMac2(byte[] msg, int off, int len, Endpoint source, long now) {
        if (!hasSecret || now - secretSet > Protocol.COOKIE_REFRESH_TIME) return false;
        byte[] input = source.cookieInput();
        byte[] cookie = Blake2s.mac(secret, input, 0, input.length);
        int m2 = len - 16;
        byte[] want = Blake2s.mac(cookie, msg, off, m2);
        return MessageDigest.isEqual(want, Arrays.copyOfRange(msg, off + m2, off + m2 + 16));
    }

    /** A 64-byte cookie reply to the handshake message msg[off, off+len), sent with the given sender index. */
    byte[] createReply(byte[] msg, int off, int len, int senderIndex, Endpoint source, long now) {
        if (!hasSecret || now - secretSet > Protocol.COOKIE_REFRESH_TIME) {
            random.nextBytes(secret);
            secretSet = now;
            hasSecret = true;
        }
        byte[] input = source.cookieInput();
        byte[] cookie = Blake2s.mac(secret, input, 0, input.length);
        int m1 = Messages.mac1Offset(len);
        byte[] mac1 = Arrays.copyOfRange(msg, off + m1, off + m1 + 16);
        byte[] reply = new byte[Protocol.COOKIE_REPLY_SIZE];
        Messages.header(reply, 0, Protocol.MESSAGE_COOKIE_REPLY);
        Messages.putU32(reply, Messages.COOKIE_RECEIVER, senderIndex);
        byte[] nonce = new byte[XChaCha20Poly1305.NONCE_LEN];
        random.nextBytes(nonce);
        System.arraycopy(nonce, 0, reply, Messages.COOKIE_NONCE, nonce.length);
        byte[] enc = XChaCha20Poly1305.seal(cookieKey, nonce, cookie, mac1);
        System.arraycopy(enc, 0, reply, Messages.COOKIE_ENC, enc.length);
        return reply;
    }
}
