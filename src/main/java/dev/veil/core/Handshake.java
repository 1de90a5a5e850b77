package dev.veil.core;

import dev.veil.crypto.Aead;
import dev.veil.crypto.Tai64n;
import java.util.Arrays;

/**
 * One peer's handshake in WireGuard's framing: the Noise state between messages, the ephemeral keys, the indices,
 * and the replay defences for initiations (the latest TAI64N timestamp and the time of the last one consumed).
 * Owned by its {@link Peer}; not thread-safe.
 */
final class Handshake {
    enum State { ZEROED, INITIATION_CREATED, INITIATION_CONSUMED, RESPONSE_CREATED }

    private static final byte[] EMPTY = new byte[0];

    State state = State.ZEROED;
    private NoiseIk noise;
    private byte[] localEphemeral;
    private final byte[] remoteEphemeral = new byte[32];
    /** Our index for this handshake while one is in progress, else 0 with hasLocalIndex false. */
    int localIndex;
    boolean hasLocalIndex;
    int remoteIndex;
    private byte[] latestTimestamp;
    private long lastInitiationConsumed;
    private boolean consumedAny;

    /**
     * Writes a 148-byte initiation, without macs, and enters INITIATION_CREATED. Returns null when a DH is all zeros.
     */
    byte[] createInitiation(Aead aead, StaticKey s, byte[] remoteStatic, byte[] staticStatic, byte[] ePriv,
                            int index, long epochNanos) {
        NoiseIk n = NoiseIk.start(aead, Protocol.IDENTIFIER, remoteStatic);
        byte[] msg = new byte[Protocol.INITIATION_SIZE];
        Messages.header(msg, 0, Protocol.MESSAGE_INITIATION);
        Messages.putU32(msg, Messages.INIT_SENDER, index);
        if (n.writeMessageA(ePriv, remoteStatic, s, staticStatic, Tai64n.encode(epochNanos), msg, Messages.INIT_NOISE) < 0) {
            return null;
        }
        clearSecrets();
        noise = n;
        localEphemeral = ePriv;
        localIndex = index;
        hasLocalIndex = true;
        state = State.INITIATION_CREATED;
        return msg;
    }

    /**
     * Accepts a decrypted initiation from this peer unless its timestamp is not newer than the last one accepted,
     * or it arrives within HANDSHAKE_INITIATION_RATE of the last. On success the state is INITIATION_CONSUMED.
     */
    Result acceptInitiation(NoiseIk n, byte[] ephemeral, int sender, byte[] timestamp, long now) {
        if (latestTimestamp != null && !Tai64n.after(timestamp, latestTimestamp)) return Result.Dropped.STALE_TIMESTAMP;
        if (consumedAny && now - lastInitiationConsumed <= Protocol.HANDSHAKE_INITIATION_RATE) return Result.Dropped.FLOOD;
        clearSecrets();
        noise = n;
        System.arraycopy(ephemeral, 0, remoteEphemeral, 0, 32);
        remoteIndex = sender;
        latestTimestamp = timestamp;
        lastInitiationConsumed = now;
        consumedAny = true;
        state = State.INITIATION_CONSUMED;
        return Result.Ok.INITIATION;
    }

    /** Writes a 92-byte response, without macs, and enters RESPONSE_CREATED. Null when a DH is all zeros. */
    byte[] createResponse(byte[] remoteStatic, byte[] psk, byte[] ePriv, int index) {
        if (state != State.INITIATION_CONSUMED) return null;
        byte[] msg = new byte[Protocol.RESPONSE_SIZE];
        Messages.header(msg, 0, Protocol.MESSAGE_RESPONSE);
        Messages.putU32(msg, Messages.RESP_SENDER, index);
        Messages.putU32(msg, Messages.RESP_RECEIVER, remoteIndex);
        if (noise.writeMessageB(ePriv, remoteEphemeral, remoteStatic, psk, EMPTY, msg, Messages.RESP_NOISE) < 0) {
            return null;
        }
        Arrays.fill(ePriv, (byte) 0);
        localIndex = index;
        hasLocalIndex = true;
        state = State.RESPONSE_CREATED;
        return msg;
    }

    /**
     * Consumes a response to our initiation. Returns false, leaving the state as it was, when it does not
     * authenticate.
     */
    boolean consumeResponse(StaticKey s, byte[] psk, byte[] msg, int off) {
        if (state != State.INITIATION_CREATED) return false;
        NoiseIk n = noise.copy();
        if (n.readMessageB(localEphemeral, s, psk, msg, off + Messages.RESP_NOISE, 0) == null) {
            n.wipe();
            return false;
        }
        noise.wipe();
        noise = n;
        remoteIndex = Messages.u32(msg, off + Messages.RESP_SENDER);
        return true;
    }

    /**
     * Derives the session keys after RESPONSE_CREATED (responder) or a consumed response (initiator), as
     * {sending, receiving}, and zeroes the handshake.
     */
    byte[][] deriveKeys(boolean initiator) {
        byte[][] t = noise.split();
        clearSecrets();
        state = State.ZEROED;
        return initiator ? t : new byte[][] {t[1], t[0]};
    }

    /** Forgets the handshake in progress and its secrets; keeps the replay defences. */
    void clearSecrets() {
        if (noise != null) noise.wipe();
        noise = null;
        if (localEphemeral != null) Arrays.fill(localEphemeral, (byte) 0);
        localEphemeral = null;
        state = State.ZEROED;
    }
}
