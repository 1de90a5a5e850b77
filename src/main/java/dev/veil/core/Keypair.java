package dev.veil.core;

import java.util.Arrays;

/**
 * One session's keys: the sending and receiving ChaCha20-Poly1305 keys, the sending counter, the replay window of
 * the receiving side, and the indices on both sides. Owned by its {@link Peer}; not thread-safe.
 */
final class Keypair {
    final Peer peer;
    final byte[] sendKey;
    final byte[] receiveKey;
    final boolean initiator;
    final long created;
    final int localIndex;
    final int remoteIndex;
    final ReplayWindow replay = new ReplayWindow();
    /** The next counter to send with; unsigned. */
    long sendCounter;
    /** Set when the keypair is deleted: messages opened with a copy of its key in the meantime are dropped. */
    boolean wiped;

    Keypair(Peer peer, byte[] sendKey, byte[] receiveKey, boolean initiator, long created, int localIndex, int remoteIndex) {
        this.peer = peer;
        this.sendKey = sendKey;
        this.receiveKey = receiveKey;
        this.initiator = initiator;
        this.created = created;
        this.localIndex = localIndex;
        this.remoteIndex = remoteIndex;
    }

    /** True while the keypair may still send: younger than REJECT_AFTER_TIME and below REJECT_AFTER_MESSAGES. */
    boolean canSend(long now) {
        return now - created < Protocol.REJECT_AFTER_TIME
            && Long.compareUnsigned(sendCounter, Protocol.REJECT_AFTER_MESSAGES) < 0;
    }

    boolean expired(long now) {
        return now - created >= Protocol.REJECT_AFTER_TIME;
    }

    void wipe() {
        wiped = true;
        Arrays.fill(sendKey, (byte) 0);
        Arrays.fill(receiveKey, (byte) 0);
    }
}
