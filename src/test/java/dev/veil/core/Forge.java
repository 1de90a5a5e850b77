package dev.veil.core;

import dev.veil.crypto.Aead;
import dev.veil.crypto.X25519;
import java.security.SecureRandom;

/**
 * Handshake messages built with the core's own code ({@link Handshake}, {@link CookieGenerator}), for the flood
 * generator and for tests outside this package: a complete initiation from a key pair to a responder, and mac1 for
 * any handshake message, which needs only the responder's public key. Stateless apart from {@link Mac1}.
 */
public final class Forge {
    private Forge() {}

    /**
     * A 148-byte initiation from {@code initiatorPrivate} to {@code responderPublic}, with the sender index
     * {@code sender}, the TAI64N timestamp of {@code epochNanos}, a fresh ephemeral key, a valid mac1 and a zero
     * mac2: what a peer holding that key would send when not under load.
     */
    public static byte[] initiation(byte[] initiatorPrivate, byte[] responderPublic, int sender, long epochNanos,
                                    SecureRandom random) {
        MemoryStaticKey s = new MemoryStaticKey(initiatorPrivate);
        try {
            byte[] staticStatic = new byte[32];
            if (!s.dh(responderPublic, staticStatic)) throw new IllegalArgumentException("low-order responder key");
            byte[] msg = new Handshake().createInitiation(Aead.defaultBackend(), s, responderPublic, staticStatic,
                X25519.generatePrivateKey(random), sender, epochNanos);
            if (msg == null) throw new IllegalArgumentException("a Diffie-Hellman result was zero");
            new Mac1(responderPublic).sign(msg);
            return msg;
        } finally {
            s.wipe();
        }
    }

    /** The receiver index of a handshake response (the initiator's sender index). */
    public static int responseReceiver(byte[] msg, int off) {
        return Messages.u32(msg, off + Messages.RESP_RECEIVER);
    }

    /** Writes mac1 for one responder into handshake messages (initiations and responses); not thread-safe. */
    public static final class Mac1 {
        private final CookieGenerator macs;

        public Mac1(byte[] responderPublic) {
            macs = new CookieGenerator(responderPublic);
        }

        /** Writes a valid mac1 and a zero mac2 into msg, a 148-byte initiation or a 92-byte response. */
        public void sign(byte[] msg) {
            if (msg.length != Protocol.INITIATION_SIZE && msg.length != Protocol.RESPONSE_SIZE) {
                throw new IllegalArgumentException("not a handshake message size: " + msg.length);
            }
            macs.addMacs(msg, msg.length, 0);  // a new generator holds no cookie, so mac2 is zero
        }
    }
}
